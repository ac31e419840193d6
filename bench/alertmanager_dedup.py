"""Benchmark of two clustered Alertmanagers' deduplication against where their flushes fall: on Prometheus's
evaluations (the baseline) or midway between two of them (what `infra.settings.validation` requires of a stack
with two Alertmanagers or more), both in one run on this machine's load.

Each setup is a Prometheus evaluating GROUPS rule groups every 2 s, each group one alert that fires for 8 s of
every 48 s, and two Alertmanagers peered on loopback (peer timeout 1 s, group interval 2 s, the fast stack's)
that post to a recorder in this process. The baseline's group_wait is 2 s, on the evaluations; the other's is
midway (3 s). An incident is one firing of one alert; it raced when the receiver got it more than once (firing,
resolved, firing, resolved: prometheus/alertmanager#4008). Prints each setup's incidents and races, and the
ratio of their race rates. `--busy N` spins N processes beside them, as tests running alongside do in CI.

    .venv/bin/python bench/alertmanager_dedup.py [--duration 900] [--groups 60] [--busy 2]

Everything listens on 127.0.0.1 under run/bench-am/, and every process it starts is stopped by PID.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from conventions import promql as p
from conventions.durations import Duration
from infra.local.process import LOOPBACK, free_port, spawn, stop_all, wait_ready
from infra.local.stack import BINARIES, FAST_PEER_TIMEOUT
from infra.serialize import to_yaml
from infra.settings.validation import between_evaluations

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "run" / "bench-am"
INTERVAL = Duration.parse("2s")
"""Evaluation and group interval, as the fast stack has them."""
PERIOD_S, FIRING_S = 48, 8
"""Each alert fires for FIRING_S of every PERIOD_S: its Alertmanager group, emptied by the resolution, is gone
(0.25 drops empty groups every 30 s, 0.34 at once) before the alert fires again in a group of its own."""
SETTLE_S = 60.0
"""Alertmanager notifies only once its gossip has settled; the setup waits for that before Prometheus starts."""


@dataclass(frozen=True)
class Setup:
    name: str
    group_wait: Duration


SETUPS = (
    Setup("on the evaluations", INTERVAL),
    Setup("midway", between_evaluations(INTERVAL, INTERVAL)),
)


class Recorder:
    """Counts each alert's notifications by setup and incident (the alert's labels and its startsAt)."""

    def __init__(self) -> None:
        self.sent: dict[str, Counter[tuple[str, str]]] = {setup.name: Counter() for setup in SETUPS}
        self._lock = threading.Lock()

    def record(self, setup: str, body: dict[str, object]) -> None:
        alerts = body["alerts"]
        assert isinstance(alerts, list)
        with self._lock:
            for alert in alerts:
                self.sent[setup][(alert["labels"]["idx"], alert["startsAt"])] += 1


@contextmanager
def serving(recorder: Recorder) -> Iterator[str]:
    """The recorder's base URL while it listens; each setup posts to <base>/<index>."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            recorder.record(SETUPS[int(self.path.strip("/"))].name, body)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            return

    server = ThreadingHTTPServer((LOOPBACK, free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{LOOPBACK}:{server.server_port}"
    finally:
        server.shutdown()


def rules(groups: int) -> dict[str, object]:
    firing = p.checked(p.lt(p.Call("vector", (p.mod(p.time(), PERIOD_S),)), FIRING_S).render(), "bench rule")
    return {"groups": [{"name": f"g{i}", "interval": str(INTERVAL),
                        "rules": [{"alert": "Flapping", "expr": firing, "labels": {"idx": str(i)}}]}
                       for i in range(groups)]}  # fmt: skip


def alertmanager_config(setup: Setup, receiver_url: str) -> dict[str, object]:
    return {
        "route": {"receiver": "recorder", "group_by": ["alertname", "idx"], "group_wait": str(setup.group_wait),
                  "group_interval": str(INTERVAL), "repeat_interval": "1h"},
        "receivers": [{"name": "recorder", "webhook_configs": [{"url": receiver_url, "send_resolved": True}]}],
    }  # fmt: skip


def start_setup(index: int, setup: Setup, base_url: str, groups: int, pids: list[int]) -> None:
    """Two peered Alertmanagers, settled, then the Prometheus that sends them its alerts; PIDs into `pids`."""
    folder = WORK / str(index)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "alertmanager.yml").write_text(to_yaml(alertmanager_config(setup, f"{base_url}/{index}")))
    (folder / "rules.yml").write_text(to_yaml(rules(groups)))
    web, gossip = [free_port(), free_port()], [free_port(), free_port()]
    members = []
    for k in range(2):
        argv = [BINARIES["alertmanager"], f"--config.file={folder / 'alertmanager.yml'}",
                f"--storage.path={folder / f'am{k}'}", f"--web.listen-address={LOOPBACK}:{web[k]}",
                f"--cluster.listen-address={LOOPBACK}:{gossip[k]}",
                f"--cluster.advertise-address={LOOPBACK}:{gossip[k]}",
                f"--cluster.peer={LOOPBACK}:{gossip[1 - k]}", f"--cluster.peer-timeout={FAST_PEER_TIMEOUT}"]  # fmt: skip
        members.append(spawn(argv, folder / f"am{k}.log"))
        pids.append(members[-1].pid)
    for k, member in enumerate(members):
        wait_ready(
            f"alertmanager {k}", member, folder / f"am{k}.log", f"http://{LOOPBACK}:{web[k]}/-/ready", 30
        )
    _wait_settled([f"http://{LOOPBACK}:{port}" for port in web])
    config = {"global": {"evaluation_interval": str(INTERVAL)}, "rule_files": [str(folder / "rules.yml")],
              "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"{LOOPBACK}:{w}" for w in web]}]}]}}  # fmt: skip
    (folder / "prometheus.yml").write_text(to_yaml(config))
    port = free_port()
    argv = [BINARIES["prometheus"], f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'tsdb'}", f"--web.listen-address={LOOPBACK}:{port}"]  # fmt: skip
    prometheus = spawn(argv, folder / "prometheus.log")
    pids.append(prometheus.pid)
    wait_ready("prometheus", prometheus, folder / "prometheus.log", f"http://{LOOPBACK}:{port}/-/ready", 30)


def _wait_settled(urls: list[str]) -> None:
    deadline = time.monotonic() + SETTLE_S
    while time.monotonic() < deadline:
        statuses = []
        for url in urls:
            with urllib.request.urlopen(f"{url}/api/v2/status", timeout=5) as response:
                cluster = json.load(response)["cluster"]
            statuses.append(cluster["status"] == "ready" and len(cluster["peers"]) == len(urls))
        if all(statuses):
            return
        time.sleep(0.5)
    raise SystemExit(f"the Alertmanagers at {', '.join(urls)} did not settle as one cluster in {SETTLE_S:g}s")


def _spin(until: float) -> None:
    while time.time() < until:
        sum(i * i for i in range(10_000))


def report(recorder: Recorder) -> None:
    rates = {}
    print(f"{'setup':<20} {'group_wait':>10} {'incidents':>10} {'raced':>6} {'rate':>7}")
    for setup in SETUPS:
        sent = recorder.sent[setup.name]
        raced = sum(1 for count in sent.values() if count > 2)
        rates[setup.name] = raced / len(sent) if sent else 0.0
        print(
            f"{setup.name:<20} {setup.group_wait!s:>10} {len(sent):>10} {raced:>6} {rates[setup.name]:>7.2%}"
        )
    baseline, midway = (rates[setup.name] for setup in SETUPS)
    if baseline == 0:
        print("the baseline never raced: run longer (--duration) or busier (--busy) to compare")
    else:
        print(f"race rate, midway / on the evaluations: {midway / baseline:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=900.0, help="seconds of alerts, after the start")
    parser.add_argument("--groups", type=int, default=60, help="rule groups (one alert each) per setup")
    parser.add_argument("--busy", type=int, default=2, help="CPU-spinning processes alongside")
    args = parser.parse_args()
    recorder, pids = Recorder(), list[int]()
    spinners = [multiprocessing.Process(target=_spin, args=(time.time() + args.duration + 2 * SETTLE_S,))
                for _ in range(args.busy)]  # fmt: skip
    try:
        with serving(recorder) as base_url:
            for spinner in spinners:
                spinner.start()
            for index, setup in enumerate(SETUPS):
                start_setup(index, setup, base_url, args.groups, pids)
            time.sleep(args.duration)
    finally:
        stop_all(pids)
        for spinner in spinners:
            spinner.terminate()
            spinner.join()
    report(recorder)


if __name__ == "__main__":
    main()

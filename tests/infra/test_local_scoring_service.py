"""The scoring app on Ray Serve, started by `vigie serve start` as an operator would (one Ray for the module), in
the dev stack's ingress mode (HAProxy): answers and their ids, 400s and 422s, a bounded schemathesis run, the
RayService's topology (replicas on the worker node, none on the head), the metric contract on the nodes' metrics
endpoints (by route), fault injection, loopback-only listeners on the run's own Serve ports, and a graceful stop
that leaves every answered prediction in the log exactly once.

The tests run in file order; the last one stops the service.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyarrow.dataset as ds
import pytest

from conventions import contract
from conventions.artifact_format import CORRELATION_ID, PREDICTIONS_DIR, REQUEST_ID
from infra.cli import main
from infra.local.process import free_port
from infra.local.scoring_service import RAY_DIR, ray_temp_dir, read_state
from infra.local.serve_ports import BLOCK_PORTS, LEASES_DIR
from tests.conftest import PROJECT_DIR

ROOT = PROJECT_DIR / "run" / f"t-srv-{os.getpid()}"
RUN_DIR = "run-folder-deeper-than-rays-unix-sockets-allow"
"""Ray's sockets cannot live under it, so the service reaches its temp dir through a short alias."""
SERVED_VERSION = "credit-lgbm-canary"
APPLICATION = "scoring"


def _vigie(*args: str | Path) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(["--project-dir", str(ROOT), *(str(a) for a in args)])
    return code, out.getvalue()


@dataclass
class Service:
    url: str
    metrics_urls: tuple[str, str]
    """Head, then worker: each node exports its own series."""
    answered: set[str] = field(default_factory=set)
    """Request ids answered 200 by a scoring route: each must end up in the prediction log once."""
    correlation_ids: dict[str, str | None] = field(default_factory=dict)
    """The correlation id each answered request id came back with: the log must hold the same."""
    logged_unanswered: set[str] = field(default_factory=set)
    """Requests a killed replica had scored and spooled but never answered: logged, and rightly so."""
    versions: Counter[str] = field(default_factory=Counter)
    """Answers by the model version they came with: all from this service's, never another run's on the machine."""
    started: float = field(default_factory=time.monotonic)

    def post(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        response = httpx.post(f"{self.url}{path}", json=body, timeout=30, **kwargs)
        if response.status_code == 200:
            self.record(response.json())
        return response

    def record(self, answer: dict[str, Any]) -> None:
        for prediction in answer.get("predictions", [answer]):
            self.answered.add(prediction["request_id"])
            self.correlation_ids[prediction["request_id"]] = prediction["correlation_id"]
            self.versions[prediction["model_version"]] += 1


@pytest.fixture(scope="module")
def service() -> Iterator[Service]:
    ROOT.mkdir(parents=True)
    shutil.copy(PROJECT_DIR / "Pulumi.dev.yaml", ROOT)
    try:
        assert _vigie("model", "train", "--stack", "dev")[0] == 0
        code, out = _vigie(
            "serve",
            "start",
            "--stack",
            "dev",
            "--port",
            free_port(),
            "--metrics-port",
            free_port(),
            "--enable-faults",
            "--model-version",
            SERVED_VERSION,
            "--run-dir",
            RUN_DIR,
            "--timeout",
            "240",
        )
        assert code == 0, out
        state = read_state(ROOT / RUN_DIR)
        assert state is not None
        yield Service(state.url, state.metrics_urls)
    finally:
        _vigie("serve", "stop", "--run-dir", RUN_DIR)
        shutil.rmtree(ROOT, ignore_errors=True)


def test_predictions_come_back_with_their_own_ids_the_callers_as_correlation_and_the_served_version(
    service: Service, applicants: list[dict[str, Any]]
) -> None:
    """Through Serve's proxy, which gives a request without X-Request-ID its own (in its logs and the response
    header): that is the correlation id then, never the prediction's id."""
    response = service.post("/predict", applicants[0])
    assert response.status_code == 200
    body = response.json()
    assert (body["model_version"], body["correlation_id"]) == (
        SERVED_VERSION,
        response.headers["x-request-id"],
    )
    assert body["request_id"] != body["correlation_id"]
    thrice = [service.post("/predict", applicants[1], headers={"X-Request-ID": "X"}).json() for _ in range(3)]
    batch = service.post("/predict/batch", {"applicants": applicants[2:7]}, headers={"X-Request-ID": "X"})
    predictions = thrice + batch.json()["predictions"]
    assert len({p["request_id"] for p in predictions}) == 8
    assert {p["correlation_id"] for p in predictions} == {"X"}
    refused = service.post("/predict", applicants[0], headers={"X-Request-ID": "r" * 10_000})
    assert (refused.status_code, refused.json()) == (
        400,
        {"detail": "X-Request-ID must be 1 to 128 characters from A-Za-z0-9._:- (got 10000 characters)"},
    )
    # Headers beyond HAProxy's 16 KiB buffer (Serve's RAY_SERVE_HAPROXY_TUNE_BUFSIZE) never reach the replica.
    assert service.post("/predict", applicants[0], headers={"X-Request-ID": "r" * 60_000}).status_code == 400
    for applicant in applicants[7:40]:
        assert service.post("/predict", applicant).status_code == 200


JSON_TYPE = {"Content-Type": "application/json"}
MAX_REQUEST_BYTES = 2 * 2**20
"""The dev stack's vigie:serving.maxRequestBytes (the default)."""


@pytest.mark.parametrize(
    ("content", "headers", "status"),
    [
        (b'{"age_years": 41}', JSON_TYPE, 422),
        (b'"not an object"', JSON_TYPE, 422),
        (b'{"applicants": []}', JSON_TYPE, 422),
        (b"null", JSON_TYPE, 422),
        (b"{not json", JSON_TYPE, 400),
        (b"[" * 100_000, JSON_TYPE, 400),
        (b"{}", {"Content-Type": "text/plain"}, 415),
        (b" " * (MAX_REQUEST_BYTES + 1), JSON_TYPE, 413),
    ],
    ids=["partial", "string", "batch-like", "null", "not JSON", "deep", "text", "too large"],
)
def test_bad_payloads_are_4xx_through_ray_never_5xx(
    service: Service, content: bytes, headers: dict[str, str], status: int
) -> None:
    response = httpx.post(f"{service.url}/predict", content=content, headers=headers, timeout=30)
    assert (response.status_code, response.headers["content-type"]) == (status, "application/json")


SCHEMATHESIS_EXAMPLES = 100
"""Per operation and phase: with the fixed seed, 667 requests in about 20 s through Serve's proxy."""


def test_schemathesis_finds_no_5xx_and_no_answer_outside_the_openapi_document(
    service: Service, tmp_path: Path
) -> None:
    """`schemathesis run` with every check (status codes, content types, headers and bodies as documented,
    negative data refused, undeclared methods 405), through Serve's proxy; the fault routes are left out."""
    har = tmp_path / "run.har"
    run = subprocess.run(
        [str(Path(sys.executable).with_name("schemathesis")), "run", f"{service.url}/openapi.json",
         "--exclude-path-regex", "^/admin/", "--max-examples", str(SCHEMATHESIS_EXAMPLES), "--seed", "15",
         "--generation-database", "none", "--no-color", "--report", "har", "--report-har-path", str(har)],
        cwd=tmp_path, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:]
    entries = json.loads(har.read_text())["log"]["entries"]
    statuses = Counter(entry["response"]["status"] for entry in entries)
    print(f"schemathesis: {len(entries)} requests, by status {dict(sorted(statuses.items()))}")
    assert len(entries) >= 500 and not [status for status in statuses if status >= 500]
    for entry in entries:
        if entry["response"]["status"] == 200 and entry["request"]["url"].startswith(
            f"{service.url}/predict"
        ):
            service.record(json.loads(entry["response"]["content"]["text"]))


def test_model_reports_the_overridden_version_and_the_artifacts(service: Service) -> None:
    info = httpx.get(f"{service.url}/model").json()
    assert (info["model_version"], info["artifact_version"]) == (SERVED_VERSION, "credit-lgbm-2026.11.0")


def _scrape(*urls: str) -> dict[str, list[dict[str, str]]]:
    """Series labels by metric name, from the Prometheus text format of every endpoint given."""
    series: dict[str, list[dict[str, str]]] = {}
    for line in "\n".join(httpx.get(url, timeout=10).text for url in urls).splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, rest = line.partition("{")
        labels = dict(pair.split("=", 1) for pair in rest.rsplit("}", 1)[0].split('",') if "=" in pair)
        series.setdefault(name, []).append({k: v.strip('"') for k, v in labels.items()})
    return series


def _missing(metric: contract.Metric, series: dict[str, list[dict[str, str]]]) -> str | None:
    name = metric.bucket if metric.kind is contract.Kind.HISTOGRAM else metric.name
    labels = set(metric.labels) | ({contract.LE} if metric.kind is contract.Kind.HISTOGRAM else set())
    if not series.get(name):
        return f"{name}: no series"
    if not any(labels <= set(s) for s in series[name]):
        return f"{name}: no series with labels {sorted(labels)}"
    return None


SCORING_ROUTES = (contract.SCORING_ROUTE, contract.BATCH_ROUTE)


def _contract_gaps(series: dict[str, list[dict[str, str]]]) -> list[str]:
    gaps = [m for m in (_missing(metric, series) for metric in contract.SERVICE_METRICS) if m]
    statuses = {
        s.get(contract.STATUS_CODE)
        for s in series.get(contract.HTTP_REQUESTS.name, [])
        if s.get(contract.APPLICATION) == APPLICATION
    }
    gaps += [
        f"{contract.HTTP_REQUESTS.name}: no {code} series" for code in ("200", "422") if code not in statuses
    ]
    for name in (
        contract.HTTP_REQUESTS.name,
        contract.HTTP_LATENCY_MS.bucket,
    ):  # by route, as the rules read them
        routes = {
            s.get(contract.ROUTE) for s in series.get(name, []) if s.get(contract.APPLICATION) == APPLICATION
        }
        gaps += [f"{name}: no {route} series" for route in SCORING_ROUTES if route not in routes]
    return gaps


def test_every_service_metric_of_the_contract_is_exported_with_its_labels(service: Service) -> None:
    deadline = time.monotonic() + 90
    while True:
        series = _scrape(*service.metrics_urls)
        gaps = _contract_gaps(series)
        if not gaps or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert gaps == []
    for metric in contract.SERVICE_METRICS:
        name = metric.bucket if metric.kind is contract.Kind.HISTOGRAM else metric.name
        if contract.APPLICATION in metric.labels:
            assert {s[contract.APPLICATION] for s in series[name]} >= {APPLICATION}, name
        if contract.MODEL_VERSION in metric.labels:
            assert {s[contract.MODEL_VERSION] for s in series[name]} == {SERVED_VERSION}, name


def _value(series_text: str, name: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in series_text.splitlines() if line.startswith(name + "{")
    )


def test_decision_counters_and_score_histogram_count_every_scored_applicant(service: Service) -> None:
    scored = len(service.answered)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = "\n".join(httpx.get(url, timeout=10).text for url in service.metrics_urls)
        decided = _value(text, contract.ACCEPTED_CREDITS.name) + _value(text, contract.REJECTED_CREDITS.name)
        if decided == scored and _value(text, contract.SCORE.count) == scored:
            break
        time.sleep(2)
    assert (decided, _value(text, contract.SCORE.count)) == (scored, scored)
    assert _value(text, contract.MODEL_VERSION_INFO.name) >= 1


GAUGE_SILENCE_S = 30.0
"""Well past Ray's gauge TTL here (two 5 s export intervals): a gauge set only at start is gone by then."""


def test_the_served_version_and_threshold_are_still_exported_long_after_start(service: Service) -> None:
    time.sleep(max(0.0, service.started + GAUGE_SILENCE_S - time.monotonic()))
    series = _scrape(*service.metrics_urls)
    for metric in (contract.MODEL_VERSION_INFO, contract.DECISION_THRESHOLD):
        assert {s[contract.MODEL_VERSION] for s in series.get(metric.name, [])} == {SERVED_VERSION}, (
            metric.name
        )


def test_injected_faults_fail_the_asked_share_with_500_after_the_delay(
    service: Service, applicants: list[dict[str, Any]]
) -> None:
    faults = httpx.post(f"{service.url}/admin/faults", json={"error_rate": 0.5, "delay_ms": 200}, timeout=10)
    assert faults.json() == {"error_rate": 0.5, "delay_ms": 200, "cpu_burn_ms": 0}
    time.sleep(1.0)  # every replica refreshes its copy within 0.5 s
    try:
        timed = []
        for applicant in applicants[40:50]:
            started = time.monotonic()
            timed.append((service.post("/predict", applicant).status_code, time.monotonic() - started))
    finally:
        httpx.post(f"{service.url}/admin/faults", json={"error_rate": 0.0, "delay_ms": 0}, timeout=10)
    codes = [code for code, _ in timed]
    assert set(codes) == {200, 500} and 4 <= codes.count(500) <= 5
    assert min(seconds for _, seconds in timed) >= 0.2


SERVE_ACTORS_ON_THE_HEAD = {"ServeController", "HAProxyManager", "ProxyActor", "_Switch"}
"""All that may run on the head node: Serve's controller, the head's HAProxy manager and its fallback proxy (the
RayService's head too), and the local fault switch (serving.faults: a CPU-less actor that only local runs
start, so Ray may put it on either node). No replica."""


def _actors(url: str) -> set[str]:
    """Names of the actors a node runs, from its raylet's ray_actors gauge (the executor's own count)."""
    return {s["Name"] for s in _scrape(url).get("ray_actors", []) if s.get("Source") == "executor"}


def test_replicas_run_on_the_worker_node_and_only_serves_controller_and_proxy_on_the_head(
    service: Service,
) -> None:
    """Polled until every node has reported all of it: each node's exporter reports on its own schedule."""
    head, worker = service.metrics_urls
    replica = f"ServeReplica:{APPLICATION}:CreditScorer"
    deadline = time.monotonic() + 90
    while True:
        seen = {url: _scrape(url) for url in (head, worker)}
        placed = {url: _actors(url) for url in (head, worker)}
        reported = (
            "ServeController" in placed[head]
            and {replica, "HAProxyManager"} <= placed[worker]
            and all(contract.NODE_CPU_UTILIZATION.name in series for series in seen.values())
            and contract.MODEL_VERSION_INFO.name in seen[worker]
        )
        if reported or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert reported, f"actors by node after 90 s: {placed}"
    assert placed[head] <= SERVE_ACTORS_ON_THE_HEAD
    node_types = {url: {s[contract.RAY_NODE_TYPE] for s in seen[url][contract.NODE_CPU_UTILIZATION.name]}
                  for url in (head, worker)}  # fmt: skip
    assert node_types == {head: {contract.HEAD_NODE}, worker: {contract.WORKER_NODE}}
    assert contract.MODEL_VERSION_INFO.name not in seen[head]  # exported by the replicas, so the worker


def _listening() -> dict[str, tuple[str, int]]:
    """Socket inode → local address and port of every listening TCP socket of the machine."""
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":
                address, port = fields[1].rsplit(":", 1)
                found[fields[9]] = (address, int(port, 16))
    return found


def _session_pids(session: int) -> set[int]:
    """The processes of a session (the service's process and every Ray process it started)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[3]) == session:
                found.add(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def _socket_inodes(pid: int) -> set[str]:
    """The inodes of a process's sockets (none once it has exited)."""
    try:
        links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
    except OSError:
        return set()
    return {link[8:-1] for link in links if link.startswith("socket:[")}


def _session_socket_inodes(session: int) -> set[str]:
    return {inode for pid in _session_pids(session) for inode in _socket_inodes(pid)}


LOOPBACK_HEX = {"0100007F", "0000000000000000FFFF00000100007F", "00000000000000000000000001000000"}
"""127.0.0.1 as /proc/net/tcp writes it, the same mapped into IPv6, and ::1."""


def test_every_listening_socket_of_the_service_is_on_loopback(service: Service) -> None:
    state = read_state(ROOT / RUN_DIR)
    assert state is not None
    listening = _listening()
    ours = {inode: listening[inode][0] for inode in _session_socket_inodes(state.pid) if inode in listening}
    assert len(ours) >= 5, "expected Ray's servers, Serve's proxies and the metrics endpoints"
    assert {address for address in ours.values() if address not in LOOPBACK_HEX} == set()


def _listening_ports(inodes: set[str]) -> set[int]:
    """TCP ports listened on by the sockets of these inodes."""
    return {port for inode, (_, port) in _listening().items() if inode in inodes}


def _leased_ports(pid: int) -> range:
    """The block of Serve ports a run's process holds the lease of (its flock, as /proc/locks lists it)."""
    locks = [line.split() for line in Path("/proc/locks").read_text().splitlines()]
    held = {lock[5].rsplit(":", 1)[1] for lock in locks if lock[1] == "FLOCK" and lock[4] == str(pid)}
    (first,) = [int(f.stem) for f in (Path(tempfile.gettempdir()) / LEASES_DIR).glob("*.lock")
                if str(f.stat().st_ino) in held]  # fmt: skip
    return range(first, first + BLOCK_PORTS)


SERVE_DEFAULT_PORTS = {8500, 9500} | set(range(30000, 31001))
"""Serve's fixed fallback proxy ports and its default replica range, which every cluster on a machine would share."""


def test_the_fallback_proxy_and_the_replica_listen_on_the_block_of_ports_their_run_leased(
    service: Service,
) -> None:
    """Not on Serve's defaults: another local run's fallback proxy would share 8500 (SO_REUSEPORT) and answer this
    run's requests from its own replicas, and its replicas could take a port this run's frees while this run's
    HAProxy still routes to it."""
    state = read_state(ROOT / RUN_DIR)
    assert state is not None
    leased = _leased_ports(state.pid)
    (replica,) = _replica_pids(state.pid)
    session = _listening_ports(_session_socket_inodes(state.pid))
    assert (
        leased[0] in session,
        len(_listening_ports(_socket_inodes(replica)) & set(leased[2:])),
        session & SERVE_DEFAULT_PORTS,
    ) == (True, 1, set())


def _listeners_on(port: int) -> int:
    """Listening TCP sockets on `port`, of any process."""
    return sum(1 for _, listened in _listening().values() if listened == port)


def test_the_head_nodes_haproxy_is_the_one_entry_point_and_the_replicas_count_what_it_forwards(
    service: Service, applicants: list[dict[str, Any]]
) -> None:
    """One HAProxy holds the HTTP port (the worker's has a port of its own, as a worker pod's); the replica, on
    the worker node, counts every scoring request it forwards under its route."""
    assert _listeners_on(int(service.url.rsplit(":", 1)[1])) == 1
    _, worker = service.metrics_urls
    before = _served(worker, contract.SCORING_ROUTE)
    for applicant in applicants[50:70]:  # a new connection each (httpx.post)
        assert service.post("/predict", applicant).status_code == 200
    deadline = time.monotonic() + 30
    while (served := _served(worker, contract.SCORING_ROUTE)) < before + 20:
        assert time.monotonic() < deadline, f"the worker node counted {served - before} of 20"
        time.sleep(2)


def _served(url: str, route: str) -> float:
    """Requests of `route` a node has counted."""
    return sum(float(line.rsplit(" ", 1)[1]) for line in httpx.get(url, timeout=10).text.splitlines()
               if line.startswith(contract.HTTP_REQUESTS.name + "{") and f'application="{APPLICATION}"' in line
               and f'{contract.ROUTE}="{route}"' in line)  # fmt: skip


def test_haproxys_health_checks_are_counted_under_the_route_request_rates_leave_out(service: Service) -> None:
    """Each HAProxy probes the replica every 5 s and the replica counts the probes: the rules' request rates
    drop them by contract.HEALTH_CHECK_ROUTE, the route they are counted under."""
    _, worker = service.metrics_urls
    deadline = time.monotonic() + 30
    while _served(worker, contract.HEALTH_CHECK_ROUTE) == 0:
        assert time.monotonic() < deadline, "no health-check probe counted in 30 s"
        time.sleep(2)


def test_rays_temp_dir_is_a_short_alias_of_a_folder_under_the_run_folder(service: Service) -> None:
    alias, target = ray_temp_dir(ROOT / RUN_DIR), (ROOT / RUN_DIR / RAY_DIR).resolve()
    assert alias.parent == Path(tempfile.gettempdir())
    assert alias.readlink() == target
    assert (target / "session_latest" / "logs").is_dir()


REPLICA_TITLE = f"ray::ServeReplica:{APPLICATION}:CreditScorer"
LOAD_THREADS = 6
"""Concurrent callers: under the autoscaling target (8 ongoing requests), so one replica serves them all."""


def _replica_pids(session: int) -> set[int]:
    """PIDs of the service's Serve replicas, by the process title Ray gives an actor's worker."""
    found = set()
    for pid in _session_pids(session):
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
        except OSError:
            continue
        if title.startswith(REPLICA_TITLE):
            found.add(pid)
    return found


class _Load:
    """Callers posting /predict one after the other until stopped; what they were answered."""

    def __init__(self, service: Service, applicants: list[dict[str, Any]]) -> None:
        self._service, self._applicants = service, applicants
        self._stopping = threading.Event()
        self.statuses: list[int] = []
        self._threads = [threading.Thread(target=self._call, args=(i,)) for i in range(LOAD_THREADS)]
        for thread in self._threads:
            thread.start()

    def _call(self, first: int) -> None:
        i = first
        while not self._stopping.is_set():
            try:
                status = self._service.post(
                    "/predict", self._applicants[i % len(self._applicants)]
                ).status_code
            except httpx.HTTPError:
                status = 0
            self.statuses.append(status)
            i += LOAD_THREADS

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(60)


def _logged_ids(root: Path) -> list[str]:
    folder = root / "run/predictions" / PREDICTIONS_DIR
    return (
        ds.dataset(folder, format="parquet", partitioning="hive")
        .to_table(columns=[REQUEST_ID])
        .column(REQUEST_ID)
        .to_pylist()
    )


def _written_by_replica(url: str) -> dict[str, float]:
    """Records each replica on the node reports written as Parquet."""
    found: dict[str, float] = {}
    for line in httpx.get(url, timeout=10).text.splitlines():
        if line.startswith(contract.PREDICTION_LOG_WRITTEN.name + "{"):
            replica = line.split(f'{contract.REPLICA}="', 1)[1].split('"', 1)[0]
            found[replica] = found.get(replica, 0.0) + float(line.rsplit(" ", 1)[1])
    return found


def _successors_written(written: dict[str, float], replicas_before: set[str]) -> float:
    return sum(records for replica, records in written.items() if replica not in replicas_before)


def test_a_replica_killed_under_load_loses_no_answered_prediction_and_its_successor_replays_the_spool(
    service: Service, applicants: list[dict[str, Any]]
) -> None:
    """SIGKILL of the replica's process mid-load; Serve starts another on the worker node, whose writer replays
    the dead one's spool: every prediction answered 200 is logged once, those the dead replica had not written
    yet included, and the new replica counts them as written."""
    state = read_state(ROOT / RUN_DIR)
    assert state is not None
    _, worker = service.metrics_urls
    (victim,) = _replica_pids(state.pid)
    replicas_before = set(_written_by_replica(worker))
    load = _Load(service, applicants)
    try:
        time.sleep(3.0)
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        answered_at_kill, logged_at_kill = set(service.answered), set(_logged_ids(ROOT))
        while not (
            _replica_pids(state.pid) - {victim} and len(service.answered) > len(answered_at_kill) + 100
        ):
            assert time.monotonic() < killed_at + 40, "no new replica answered within 40 s of the kill"
            time.sleep(0.2)
    finally:
        load.stop()
    deadline = time.monotonic() + 40
    while not service.answered <= set(logged := _logged_ids(ROOT)) and time.monotonic() < deadline:
        time.sleep(1.0)
    missing, unwritten_at_kill = service.answered - set(logged), answered_at_kill - logged_at_kill
    service.logged_unanswered = set(logged) - service.answered
    print(
        f"\nSIGKILL under load: {len(answered_at_kill)} answered before the kill, {len(unwritten_at_kill)} of them "
        f"not yet written; {len(service.answered)} answered in all, {len(missing)} lost, "
        f"{len(service.logged_unanswered)} logged but never answered, "
        f"{len(load.statuses) - load.statuses.count(200)} calls not answered 200; answers by version "
        f"{dict(service.versions)}"
    )
    assert set(service.versions) == {SERVED_VERSION}, "answered by another local run's replicas"
    assert unwritten_at_kill, "the kill found nothing unwritten: the test proves nothing"
    assert (len(missing), len(logged) - len(set(logged))) == (0, 0)
    # Requests in flight at the kill were scored and spooled, never answered: at most one per caller.
    assert len(service.logged_unanswered) <= LOAD_THREADS
    while _successors_written(written := _written_by_replica(worker), replicas_before) < len(
        unwritten_at_kill
    ):
        assert time.monotonic() < deadline + 20, (
            f"written by replica: {written}, before the kill: {replicas_before}"
        )
        time.sleep(1.0)
    assert _value(httpx.get(worker, timeout=10).text, contract.PREDICTION_LOG_DROPPED.name) == 0


def test_status_reports_the_service_ready(service: Service) -> None:
    code, out = _vigie("serve", "status", "--run-dir", RUN_DIR)
    assert (code, out.split(":")[1]) == (0, " ready at http")


def test_a_graceful_stop_leaves_every_answered_prediction_in_the_log_exactly_once(service: Service) -> None:
    state = read_state(ROOT / RUN_DIR)
    assert state is not None and len(service.answered) >= 45
    code, out = _vigie("serve", "stop", "--run-dir", RUN_DIR)
    assert (code, out) == (0, f"stopped pid {state.pid}\n")
    table = ds.dataset(
        ROOT / "run/predictions" / PREDICTIONS_DIR, format="parquet", partitioning="hive"
    ).to_table()
    logged = table.column(REQUEST_ID).to_pylist()
    expected = service.answered | service.logged_unanswered
    assert (len(logged), set(logged)) == (len(expected), expected)
    stored = dict(zip(logged, table.column(CORRELATION_ID).to_pylist(), strict=True))
    assert {r: stored[r] for r in service.correlation_ids} == service.correlation_ids
    assert set(table.column("model_version").to_pylist()) == {SERVED_VERSION}
    assert _session_socket_inodes(state.pid) == set()
    assert not ray_temp_dir(ROOT / RUN_DIR).is_symlink()
    assert _vigie("serve", "status", "--run-dir", RUN_DIR) == (1, "not running\n")

"""The local stack: the scoring service, Prometheus with the stack's generated rules, Alertmanager with the
stack's generated routing (each receiver keeping its own integration, pointed at local stand-ins for Slack,
PagerDuty, the mail server and webhooks) and the Pushgateway, all on loopback, with data and logs in a run
folder, started together and stopped by PID.

Everything that can be checked is checked before the first process starts; if one fails to start, the ones
already started are stopped, so `up` never leaves half a stack behind.

Every process the stack starts carries `VIGIE_LOCAL_RUN=<absolute run folder>` in its environment, inherited by
its children (Ray's included), so `down` also finds what `state.json` does not record: a process started just
before a crash of `up`, or a restart the record missed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError

from conventions.errors import UserError
from infra.artifacts import RULES_FILE, render_stack
from infra.local import scoring_service
from infra.local.alertmanager_targets import announce, write_targets
from infra.local.deliveries import DIRECTORY_FILE, Delivery, by_receiver, read_deliveries
from infra.local.destinations import SECRETS_DIR, local_routing
from infra.local.process import (
    LOOPBACK,
    Stopped,
    alive,
    answers,
    carries,
    check_port_free,
    marked,
    port_taken,
    running,
    spawn,
    start,
    stop,
    stop_all,
    stop_marked,
    wait_ready,
)
from infra.local.prometheus_config import RayPorts, prometheus_config
from infra.local.scoring_service import SPEC_FILE, LocalSpec
from infra.serialize import to_yaml
from rules_src.stack import Stack

STATE_FILE = "state.json"
RUN_MARK = "VIGIE_LOCAL_RUN"
"""The environment variable that marks a process, and its children, as started by the stack in that run folder."""
SCORING = "scoring"
"""The scoring service's name for `restart` (recorded in serve/, not in `processes`: see scoring_service)."""
STRAY_GRACE_S = 30.0
"""How long `down` lets an unrecorded process stop on SIGTERM: a scoring service flushes its prediction log."""
SERVE_DIR = "serve"
NOTIFICATIONS_DIR = "notifications"
MAILBOX_DIR = "mailbox"
"""The local mail server's Maildirs, one per recipient (infra.local.mailbox.read_mailbox reads them)."""
BINARIES = {
    "prometheus": "prometheus",
    "alertmanager": "prometheus-alertmanager",
    "pushgateway": "prometheus-pushgateway",
}
ALERTMANAGER_PORTS = {
    "alertmanager": ("alertmanager", "alertmanager_cluster"),
    "alertmanager-2": ("alertmanager_2", "alertmanager_2_cluster"),
}
"""The local Alertmanagers, in start order, and the `Ports` fields of their web and gossip ports: as many as
`monitoring.alertmanagerReplicas` says, two at most (two show deduplication and fail-over; the operator
clusters any number the same way)."""
ALERTMANAGERS = tuple(ALERTMANAGER_PORTS)
ALERTMANAGER_TARGETS = "alertmanagers.json"
"""The Alertmanagers Prometheus sends to, a file_sd file (infra.local.alertmanager_targets)."""
FAST_PEER_TIMEOUT = "1s"
"""`--cluster.peer-timeout` of a fast stack (Alertmanager's default: 15s). The n-th Alertmanager of a cluster
(by sorted peer name) waits n times this before sending what no peer has logged as sent; on loopback a peer's
log entry arrives within a gossip interval (200ms). It must stay below the group interval (2 s when fast, 5m
in prod): a replica still waiting when its peer's next flush sends a resolution compares its older view with
that newer entry and sends the firing notification again (measured with 5 s: a resolved alert re-fired)."""


class Ports(BaseModel):
    """Loopback ports of the local stack; the defaults are the tools' usual ones."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scoring: int = 8000
    ray_metrics: int = 8080
    """The Ray head node's metrics (KubeRay's port on every pod)."""
    ray_worker_metrics: int = 8081
    """The Ray worker node's: both nodes share this machine, so the worker needs a port of its own."""
    prometheus: int = 9090
    pushgateway: int = 9091
    alertmanager: int = 9093
    alertmanager_cluster: int = 9094
    """Its gossip port (Alertmanager's default), when the stack runs two Alertmanagers."""
    alertmanager_2: int = 9193
    alertmanager_2_cluster: int = 9194
    sink: int = 9095
    """The stand-ins for Slack, PagerDuty and webhooks (HTTP)."""
    smtp: int = 2525
    """The local mail server."""


class Process(BaseModel):
    """A started process, and what `restart` needs to start it again the same way."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pid: int
    url: str
    log: str
    argv: list[str] = []
    """Empty in a state file written before `restart` existed: such a process cannot be restarted."""
    ready_url: str = ""


class LocalState(BaseModel):
    """What `up` leaves in the run folder for `status`, `traffic`, `drift` and `down`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stack: str
    fast: bool
    ports: Ports
    processes: dict[str, Process]
    """Started in this order (sink, pushgateway, alertmanager and alertmanager-2 if the stack runs two, then the
    scoring service, then prometheus), stopped in reverse (the scoring service first)."""
    scoring_url: str
    ray_metrics_url: str
    """The head node's metrics endpoint."""
    ray_worker_metrics_url: str
    """The worker node's, where the replicas' own series are."""

    def url(self, name: str) -> str:
        return self.processes[name].url


def read_state(run_dir: Path) -> LocalState | None:
    path = run_dir / STATE_FILE
    if not path.is_file():
        return None
    try:
        return LocalState.model_validate_json(path.read_text())
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise UserError(
            f"{path}: {where}: {problem['msg']}; delete it, then `vigie local down` stops what it started"
        ) from None


def _write_state(run_dir: Path, state: LocalState) -> None:
    """Whole or not at all: a reader never sees half a file (written beside, then renamed over)."""
    path = run_dir / STATE_FILE
    partial_file = path.with_name(f".{STATE_FILE}.tmp")
    partial_file.write_text(state.model_dump_json(indent=2))
    os.replace(partial_file, path)


def _mark(run_dir: Path) -> dict[str, str]:
    return {RUN_MARK: str(run_dir.resolve())}


def _runs(process: Process, run_dir: Path) -> bool:
    """The recorded PID runs and is this stack's (a recycled PID is not); a state file written before the mark
    existed can only say that the PID runs."""
    if not process.argv:
        return alive(process.pid)
    return carries(process.pid, RUN_MARK, _mark(run_dir)[RUN_MARK])


def _binary(name: str) -> str:
    path = shutil.which(BINARIES[name])
    if path is None:
        raise UserError(f"{BINARIES[name]} not found on PATH: install Debian's {BINARIES[name]} package")
    return path


FRESH_EACH_RUN = ("prometheus-data", *(f"{name}-data" for name in ALERTMANAGERS), "pushgateway.db",
                  NOTIFICATIONS_DIR, MAILBOX_DIR, SECRETS_DIR)  # fmt: skip
"""State that starts empty with every `up`, so a run shows only its own alerts (the prediction log stays)."""


def alertmanagers(stack: Stack) -> tuple[str, ...]:
    """The Alertmanagers a local run of `stack` starts (see ALERTMANAGERS)."""
    return ALERTMANAGERS[: stack.settings.monitoring.alertmanager_replicas]


def _alertmanager_ports(ports: Ports, name: str) -> tuple[int, int]:
    """The web and gossip ports of the local Alertmanager `name`."""
    web, gossip = ALERTMANAGER_PORTS[name]
    return getattr(ports, web), getattr(ports, gossip)


def _web_ports(ports: Ports, names: Sequence[str]) -> list[int]:
    """The web ports of the local Alertmanagers `names`, where Prometheus sends its alerts."""
    return [_alertmanager_ports(ports, name)[0] for name in names]


def _write_configs(stack: Stack, run_dir: Path, ports: Ports) -> dict[str, Path]:
    """Write the rule file and both configurations, and let promtool and amtool judge them first."""
    run_dir.mkdir(parents=True, exist_ok=True)
    for name in FRESH_EACH_RUN:
        path = run_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        path.unlink(missing_ok=True)
    paths = {name: run_dir / name for name in ("rules.yaml", "alertmanager.yaml", "prometheus.yml")}
    paths["rules.yaml"].write_text(render_stack(stack)[RULES_FILE])
    routing, directory = local_routing(stack.settings.alerting, run_dir, ports.sink, ports.smtp)
    (run_dir / DIRECTORY_FILE).write_text(directory.model_dump_json(indent=2))
    paths["alertmanager.yaml"].write_text(to_yaml(routing))
    targets = run_dir / ALERTMANAGER_TARGETS
    write_targets(targets, _web_ports(ports, alertmanagers(stack)))
    config = prometheus_config(
        stack,
        paths["rules.yaml"],
        RayPorts(ports.ray_metrics, ports.ray_worker_metrics),
        ports.pushgateway,
        targets,
    )
    paths["prometheus.yml"].write_text(to_yaml(config))
    _judge(["promtool", "check", "config", str(paths["prometheus.yml"])])
    _judge(["amtool", "check-config", str(paths["alertmanager.yaml"])])
    return paths


def _judge(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise UserError(f"{' '.join(argv[:2])} rejected the local configuration: {done.stdout}{done.stderr}")


def _argv(
    name: str, run_dir: Path, paths: dict[str, Path], ports: Ports, stack: Stack, fast: bool
) -> list[str]:
    """Each tool's command line. Prometheus resends firing alerts every evaluation rather than every minute: its
    first evaluation precedes its discovery of Alertmanager (updated every 5 s), so alerts sent then are lost
    and, at Prometheus's default `--rules.alert.resend-delay` of 1m, reach Alertmanager a minute late."""
    resend_delay = str(stack.settings.monitoring.evaluation_interval)
    if name == "sink":
        return [sys.executable, "-m", "infra.local.endpoints", f"--directory={run_dir / DIRECTORY_FILE}",
                f"--folder={run_dir / NOTIFICATIONS_DIR}", f"--mailbox={run_dir / MAILBOX_DIR}",
                f"--port={ports.sink}", f"--smtp-port={ports.smtp}"]  # fmt: skip
    if name == "pushgateway":
        return [_binary(name), f"--web.listen-address={LOOPBACK}:{ports.pushgateway}",
                f"--persistence.file={run_dir / 'pushgateway.db'}"]  # fmt: skip
    if name in ALERTMANAGERS:
        return _alertmanager_argv(name, run_dir, paths, ports, alertmanagers(stack), fast)
    return [_binary(name), f"--config.file={paths['prometheus.yml']}",
            f"--storage.tsdb.path={run_dir / 'prometheus-data'}",
            f"--web.listen-address={LOOPBACK}:{ports.prometheus}",
            f"--rules.alert.resend-delay={resend_delay}"]  # fmt: skip


def _alertmanager_argv(
    name: str, run_dir: Path, paths: dict[str, Path], ports: Ports, peers: tuple[str, ...], fast: bool
) -> list[str]:
    """One Alertmanager alone runs with clustering off, as the operator runs a single replica; with a second,
    each gossips on its own loopback port and names the other as its peer (as the operator names every pod of
    the StatefulSet), so they share one notification log and silences."""
    web, gossip = _alertmanager_ports(ports, name)
    argv = [_binary("alertmanager"), f"--config.file={paths['alertmanager.yaml']}",
            f"--storage.path={run_dir / f'{name}-data'}", f"--web.listen-address={LOOPBACK}:{web}"]  # fmt: skip
    if len(peers) == 1:
        return [*argv, "--cluster.listen-address="]
    gossips = [_alertmanager_ports(ports, peer)[1] for peer in peers if peer != name]
    others = [f"--cluster.peer={LOOPBACK}:{port}" for port in gossips]
    timing = [f"--cluster.peer-timeout={FAST_PEER_TIMEOUT}"] if fast else []
    return [*argv, f"--cluster.listen-address={LOOPBACK}:{gossip}",
            f"--cluster.advertise-address={LOOPBACK}:{gossip}", *others, *timing]  # fmt: skip


def _start_tool(
    name: str, run_dir: Path, paths: dict[str, Path], ports: Ports, stack: Stack, fast: bool
) -> Process:
    port = _alertmanager_ports(ports, name)[0] if name in ALERTMANAGERS else getattr(ports, name)
    return launch(name, _argv(name, run_dir, paths, ports, stack, fast), run_dir / f"{name}.log",
                  f"http://{LOOPBACK}:{port}/-/ready", run_dir)  # fmt: skip


def launch(name: str, argv: list[str], log: Path, ready_url: str, run_dir: Path) -> Process:
    """Start one process of the stack in `run_dir`, marked as the stack's, and wait until it is ready."""
    started = start(name, argv, log, ready_url, timeout=60, env=_mark(run_dir))
    return Process(pid=started.pid, url=started.url, log=str(log), argv=argv, ready_url=ready_url)


def up(
    project_dir: Path,
    stack: Stack,
    run_dir: Path,
    ports: Ports,
    fast: bool,
    model_version: str | None = None,
) -> LocalState:
    """Start the whole local stack; UserError, with nothing left running, when anything is wrong.

    Prometheus starts last, once the scoring service answers: the two Ray nodes take half a minute or more to
    start, and a Prometheus evaluating ScoringServiceDown meanwhile would page for a service still starting."""

    run_dir = run_dir.resolve()
    recorded = read_state(run_dir)
    if recorded is not None:
        raise UserError(
            f"a local stack is recorded in {run_dir} (stack {recorded.stack}); run `vigie local down`"
        )
    strays = marked(RUN_MARK, str(run_dir))
    if strays:
        raise UserError(f"processes of a local stack in {run_dir} still run, unrecorded (pids "
                        f"{', '.join(map(str, strays))}); run `vigie local down`")  # fmt: skip
    for name in BINARIES:
        _binary(name)
    skipped = ALERTMANAGERS[len(alertmanagers(stack)) :]
    unused = {field for name in skipped for field in ALERTMANAGER_PORTS[name]}
    for what, port in ports.model_dump().items():
        if what not in unused:
            check_port_free(port, f"port of {what}")
    paths = _write_configs(stack, run_dir, ports)
    started: dict[str, Process] = {}
    scoring = None
    try:
        for name in ("sink", "pushgateway", *alertmanagers(stack)):
            started[name] = _start_tool(name, run_dir, paths, ports, stack, fast)
        scoring = scoring_service.start(_scoring_spec(project_dir, stack.name, run_dir, ports, model_version))
        started["prometheus"] = _start_tool("prometheus", run_dir, paths, ports, stack, fast)
    except BaseException:
        if scoring is not None:  # a scoring service that failed to start has stopped itself
            scoring_service.stop(run_dir / SERVE_DIR)
        for process in reversed(started.values()):
            stop(process.pid)
        raise
    state = LocalState(
        stack=stack.name,
        fast=fast,
        ports=ports,
        processes=started,
        scoring_url=scoring.url,
        ray_metrics_url=scoring.metrics_url,
        ray_worker_metrics_url=scoring.worker_metrics_url,
    )
    _write_state(run_dir, state)
    return state


@dataclass(frozen=True)
class Down:
    state: LocalState | None
    """What `state.json` recorded, now stopped; None when nothing was recorded."""
    unrecorded: list[Stopped]
    """Processes of this run folder missing from the record, now stopped too."""


def down(run_dir: Path) -> Down:
    """Stop the scoring service (flushing its prediction log), then the rest, each by its PID; then whatever
    still carries this run folder's mark, or runs a recorded command line exactly (a restart by hand)."""
    run_dir = run_dir.resolve()
    state = read_state(run_dir)
    scoring_service.stop(run_dir / SERVE_DIR)
    recorded = [] if state is None else list(reversed(state.processes.values()))
    for process in recorded:
        if _runs(process, run_dir):
            stop(process.pid)
    unrecorded = stop_marked(RUN_MARK, str(run_dir), STRAY_GRACE_S)
    hand_started = sorted({pid for process in recorded if process.argv for pid in running(process.argv)})
    unrecorded += stop_all(hand_started, STRAY_GRACE_S)
    (run_dir / STATE_FILE).unlink(missing_ok=True)
    return Down(state, unrecorded)


@dataclass(frozen=True)
class Restarted:
    name: str
    url: str
    old_pid: int | None
    """The recorded PID it stopped; None when that PID no longer ran (a crash, a kill)."""
    pid: int


def restart(run_dir: Path, names: Sequence[str]) -> list[Restarted]:
    """Stop the named processes by their recorded PIDs if they still run, start them again with their recorded
    command lines (same ports, same data: Prometheus keeps its TSDB, Alertmanager its silences and notification
    log) and wait until they are ready; the scoring service last, from the spec it last ran.

    The others are stopped together, then spawned together, then waited for, as the operator's StatefulSets
    (podManagementPolicy Parallel) start the pods of a cluster. Prometheus stops sending to the Alertmanagers
    among them first, and sends to them again only once all are ready (`announce`), so both of a cluster
    group Prometheus's next resend of each alert from the same batch, and their flushes stay in step."""
    run_dir = run_dir.resolve()
    state = read_state(run_dir)
    if state is None:
        raise UserError(f"no local stack in {run_dir}: run `vigie local up` first")
    chosen = list(dict.fromkeys(names))
    processes = {name: _recorded(state, run_dir, name) for name in chosen if name != SCORING}
    listed = [name for name in ALERTMANAGERS if name in state.processes]
    kept = [name for name in listed if name not in processes]
    gated = kept != listed
    if gated:
        _announce(run_dir, state, kept)
    try:
        old_pids, again = _stop_and_launch(processes, run_dir)
    except BaseException:
        if gated:
            write_targets(run_dir / ALERTMANAGER_TARGETS, _web_ports(state.ports, listed))
        raise
    now = state.model_copy(update={"processes": {**state.processes, **again}})
    if again:
        _write_state(run_dir, now)
    if gated:
        _announce(run_dir, now, listed)
    restarted = [Restarted(name, again[name].url, old_pids[name], again[name].pid) for name in processes]
    return [*restarted, *([_restart_scoring_as_recorded(run_dir)] if SCORING in chosen else [])]


def _announce(run_dir: Path, state: LocalState, names: list[str]) -> None:
    """Have Prometheus send to the Alertmanagers `names` only: listed, then seen by Prometheus if it runs."""
    ports = _web_ports(state.ports, names)
    prometheus = state.processes.get("prometheus")
    if prometheus is not None and _runs(prometheus, run_dir):
        announce(run_dir / ALERTMANAGER_TARGETS, ports, prometheus.url)
    else:
        write_targets(run_dir / ALERTMANAGER_TARGETS, ports)


def _stop_and_launch(
    processes: dict[str, Process], run_dir: Path
) -> tuple[dict[str, int | None], dict[str, Process]]:
    """The PIDs stopped (None: not running any more), and the processes started again in their place."""
    old_pids = {name: process.pid if _runs(process, run_dir) else None for name, process in processes.items()}
    for pid in old_pids.values():
        if pid is not None:
            stop(pid)
    for name, process in processes.items():
        port = urlsplit(process.ready_url).port
        if port is not None and port_taken(port):
            raise UserError(f"{name}: port {port} is held by a process other than the recorded pid "
                            f"{process.pid}; `vigie local down` stops the stack's unrecorded processes")  # fmt: skip
    return old_pids, _launch_together(processes, run_dir)


def _recorded(state: LocalState, run_dir: Path, name: str) -> Process:
    """The process `name` as `state` records it, with the command line a restart needs."""
    if name not in state.processes:
        known = ", ".join([*state.processes, SCORING])
        raise UserError(f"no process named {name!r} in the local stack; choose one of: {known}")
    process = state.processes[name]
    if not process.argv:
        raise UserError(f"{run_dir / STATE_FILE} records no command line for {name} (written by an older "
                        f"vigie): run `vigie local down`, then `vigie local up`")  # fmt: skip
    return process


def _launch_together(processes: dict[str, Process], run_dir: Path) -> dict[str, Process]:
    """Spawn every recorded process, then wait for each; when one fails, the others are stopped too."""
    spawned = {name: spawn(p.argv, Path(p.log), env=_mark(run_dir)) for name, p in processes.items()}
    ready: dict[str, Process] = {}
    try:
        for name, proc in spawned.items():
            process = processes[name]
            started = wait_ready(name, proc, Path(process.log), process.ready_url, timeout=60)
            ready[name] = process.model_copy(update={"pid": started.pid, "url": started.url})
    except UserError:
        for proc in spawned.values():
            stop(proc.pid)
        raise
    return ready


def _restart_scoring_as_recorded(run_dir: Path) -> Restarted:
    """The scoring service again from the spec it last started with (the model version it served included)."""
    serve_dir = run_dir / SERVE_DIR
    spec_file = serve_dir / SPEC_FILE
    if not spec_file.is_file():
        raise UserError(f"{spec_file}: missing, so the scoring service cannot be restarted as it ran")
    spec = LocalSpec.model_validate_json(spec_file.read_text())
    recorded = scoring_service.read_state(serve_dir)
    old_pid = recorded.pid if recorded is not None and scoring_service.alive(recorded) else None
    scoring_service.stop(serve_dir)
    service = scoring_service.start(spec.model_copy(update={"env": {**spec.env, **_mark(run_dir)}}))
    return Restarted(SCORING, service.url, old_pid, service.pid)


@dataclass(frozen=True)
class Health:
    """One process of a local stack as `status` sees it: its recorded PID running, and its URL answering."""

    name: str
    url: str
    pid: int | None
    running: bool
    answering: bool

    @property
    def ready(self) -> bool:
        """Both: a URL answered by some other process (a hand restart, a recycled port) is not this stack's."""
        return self.running and self.answering

    @property
    def reason(self) -> str:
        """Why it is not ready; empty when it is."""
        if not self.running:
            return f"pid {self.pid} is not running" if self.pid else "no pid recorded"
        return "" if self.answering else "not answering"


def health(run_dir: Path, state: LocalState) -> list[Health]:
    """Every process `up` recorded, the scoring service's Ray nodes included (they live in its process)."""
    service = scoring_service.read_state(run_dir / SERVE_DIR)
    pid = service.pid if service is not None else None
    serving = service is not None and scoring_service.alive(service)
    checks = [
        ("scoring service", f"{state.scoring_url}/readyz", pid, serving),
        ("ray head", state.ray_metrics_url, pid, serving),
        ("ray worker", state.ray_worker_metrics_url, pid, serving),
        *((name, f"{p.url}/-/ready", p.pid, _runs(p, run_dir)) for name, p in state.processes.items()),
    ]
    return [Health(name, url, pid, running, answers(url)) for name, url, pid, running in checks]


def deliveries(run_dir: Path) -> list[Delivery]:
    """What the stand-ins for Slack, PagerDuty, the mail server and webhooks received, oldest first."""
    return read_deliveries(run_dir / NOTIFICATIONS_DIR)


def notifications(run_dir: Path) -> dict[str, set[str]]:
    """Alert names of the firing notifications each receiver delivered, by receiver (a destination counts for
    every receiver that delivers there)."""
    delivered = by_receiver(deliveries(run_dir))
    return {name: {a for d in done for a in d.alertnames} for name, done in delivered.items()}


def restart_scoring(project_dir: Path, run_dir: Path, model_version: str | None) -> None:
    """Restart only the scoring service, serving `model_version` (None: the artifact's own)."""
    run_dir = run_dir.resolve()
    state = read_state(run_dir)
    if state is None:
        raise UserError(f"no local stack in {run_dir}: run `vigie local up` first")
    scoring_service.stop(run_dir / SERVE_DIR)
    scoring_service.start(_scoring_spec(project_dir, state.stack, run_dir, state.ports, model_version))


def _scoring_spec(
    project_dir: Path, stack: str, run_dir: Path, ports: Ports, model_version: str | None
) -> LocalSpec:
    """The scoring service of a local stack: its own run folder, fault injection on (for alert tests)."""
    return LocalSpec(project_dir=str(project_dir.resolve()), stack=stack, run_dir=str(run_dir / SERVE_DIR),
                     port=ports.scoring, metrics_port=ports.ray_metrics,
                     worker_metrics_port=ports.ray_worker_metrics, model_version=model_version,
                     faults=True, env=_mark(run_dir))  # fmt: skip

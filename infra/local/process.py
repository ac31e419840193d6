"""Local processes (Prometheus, Alertmanager, Pushgateway…): started on loopback with their output in a log
file, waited for until ready, and stopped by PID, never by name.

A starter can mark what it starts with an environment variable (`start(..., env={NAME: VALUE})`), which every
child inherits (Ray's worker processes included). `/proc/<pid>/environ` keeps a process's environment as it
was at exec, so `stop_marked` finds every process started under a mark, recorded anywhere or not, without
trusting names or PIDs that may have been recycled."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from conventions.errors import UserError

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def check_port_free(port: int, what: str) -> None:
    """UserError naming `what` when `port` is taken on loopback."""
    if port_taken(port):
        raise UserError(f"{what} {port}: the port is in use on {LOOPBACK}; choose another")


def port_taken(port: int) -> bool:
    """True when a server holds `port` on loopback (TIME_WAIT is no conflict, as for servers)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return True
    return False


def answers(url: str, timeout: float = 2.0) -> bool:
    """True when GET `url` answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@dataclass(frozen=True)
class Running:
    name: str
    pid: int
    url: str
    log: Path


def start(
    name: str,
    argv: list[str],
    log: Path,
    ready_url: str,
    timeout: float = 30.0,
    env: dict[str, str] | None = None,
) -> Running:
    """Start `argv` in its own process group, with `env` added to ours, and wait until `ready_url` answers 200."""
    return wait_ready(name, spawn(argv, log, env), log, ready_url, timeout)


def spawn(argv: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start `argv` in its own process group, with `env` added to ours and its output appended to `log`,
    without waiting: processes that must come up together (a cluster's members) are spawned, then waited for."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env={**os.environ, **(env or {})}, start_new_session=True)  # fmt: skip


def wait_ready(
    name: str, proc: subprocess.Popen[bytes], log: Path, ready_url: str, timeout: float
) -> Running:
    """`proc` once `ready_url` answers 200; UserError, with `proc` stopped, when it exits or times out first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise UserError(f"{name} exited with status {proc.returncode} at start; see {log}")
        if answers(ready_url):
            return Running(name, proc.pid, ready_url.rsplit("/-/", 1)[0], log)
        time.sleep(0.05)
    stop(proc.pid)
    raise UserError(f"{name} was not ready after {timeout:g}s; see {log}")


def stop(pid: int, grace: float = 10.0) -> None:
    """SIGTERM the process group led by `pid`, then SIGKILL what is left after `grace` seconds."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not alive(pid):
            return
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    alive(pid)


def alive(pid: int) -> bool:
    """True while `pid` runs; reaps it when it is our exited child. A zombie (exited, not yet reaped by its
    parent or init) does not run."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return _stat(pid)[0] not in ("Z", "X", "")


def _stat(pid: int) -> tuple[str, int]:
    """(state letter, parent PID) from /proc/<pid>/stat; ("", 0) when it is gone. The command name in
    parentheses may hold spaces and parentheses itself, hence the split on the last ")"."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return "", 0
    return fields[0], int(fields[1])


def _environ(pid: int) -> dict[str, str]:
    """`pid`'s environment as it was at exec; empty when unreadable (another user's, or gone)."""
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    pairs = (entry.split("=", 1) for entry in raw.decode(errors="replace").split("\0") if "=" in entry)
    return dict(pairs)


def command(pid: int) -> list[str]:
    """`pid`'s command line; empty when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return raw.decode(errors="replace").split("\0")[:-1]


def carries(pid: int, name: str, value: str) -> bool:
    """True when `pid` runs and was started with `name=value` in its environment."""
    return alive(pid) and _environ(pid).get(name) == value


def _others() -> list[int]:
    """Every PID but ours and our ancestors': a sweep must not stop the process running it, nor what started
    it (which may carry the mark itself: a test session's pytest run by another one)."""
    ours, pid = set(), os.getpid()
    while pid > 1 and pid not in ours:
        ours.add(pid)
        pid = _stat(pid)[1]
    pids = (int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit())
    return sorted(pid for pid in pids if pid not in ours)


def marked(name: str, value: str) -> list[int]:
    """Every running process started with `name=value` in its environment, but us and our ancestors."""
    return [pid for pid in _others() if carries(pid, name, value)]


@dataclass(frozen=True)
class Stopped:
    pid: int
    command: str
    """Its program's name and two arguments, for the line that says what was stopped."""


def stop_marked(name: str, value: str, grace: float = 10.0) -> list[Stopped]:
    """Stop every process `marked(name, value)`, by PID (see `stop_all`)."""
    return stop_all(marked(name, value), grace)


def running(argv: list[str]) -> list[int]:
    """Every running process whose command line is exactly `argv`, but us and our ancestors."""
    return [pid for pid in _others() if command(pid) == argv and alive(pid)]


def stop_all(pids: list[int], grace: float = 10.0) -> list[Stopped]:
    """Stop `pids`, each by its PID: first SIGTERM to the top ones (whose parent is not among them), so that a
    service stops its own children gracefully as its own stop would; after `grace` seconds, SIGTERM to what is
    left; after two more, SIGKILL. What it stopped, top ones first."""
    found = [Stopped(pid, _short(command(pid))) for pid in pids]
    tops = [pid for pid in pids if _stat(pid)[1] not in pids]
    _signal(tops, signal.SIGTERM)
    _wait_gone(pids, grace)
    left = [pid for pid in pids if alive(pid)]
    _signal(left, signal.SIGTERM)
    _wait_gone(left, 2.0)
    _signal([pid for pid in left if alive(pid)], signal.SIGKILL)
    _wait_gone(left, 2.0)
    return sorted(found, key=lambda s: (s.pid not in tops, s.pid))


def _short(argv: list[str]) -> str:
    """A command line cut to its program's name and two arguments (`python -m infra.local.endpoints`)."""
    return " ".join([Path(argv[0]).name, *argv[1:3]]) if argv else "?"


def _signal(pids: list[int], signum: signal.Signals) -> None:
    for pid in pids:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            continue


def _wait_gone(pids: list[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)

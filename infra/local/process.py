"""Local processes (Prometheus, Alertmanager, Pushgateway…): started on loopback with their output in a log
file, waited for until ready, and stopped by PID, never by name."""

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
    """UserError naming `what` when `port` is taken on loopback (TIME_WAIT is no conflict, as for servers)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            raise UserError(f"{what} {port}: the port is in use on {LOOPBACK}; choose another") from None


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


def start(name: str, argv: list[str], log: Path, ready_url: str, timeout: float = 30.0) -> Running:
    """Start `argv` in its own process group and wait until `ready_url` answers 200."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise UserError(f"{name} exited with status {proc.returncode} at start; see {log}")
        if answers(ready_url):
            return Running(name, proc.pid, ready_url.rsplit("/-/", 1)[0], log)
        time.sleep(0.2)
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
    """True while `pid` runs; reaps it when it is our exited child."""
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
    return True

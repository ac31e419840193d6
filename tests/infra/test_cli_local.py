"""`vigie local status`: a process is ready only when its recorded PID runs and its URL answers, so that a
URL answered by another process (a hand restart, a recycled port) does not pass for the stack's."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from infra.local.process import LOOPBACK, stop
from infra.local.stack import STATE_FILE, LocalState, Ports, Process
from tests.conftest import CliRunner


class _Ready(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        """Quiet: the test reads the CLI's output, not the server's."""


@pytest.fixture
def answering() -> Iterator[str]:
    """A loopback URL that answers 200 to any GET, as a ready process would."""
    server = ThreadingHTTPServer((LOOPBACK, 0), _Ready)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{LOOPBACK}:{server.server_address[1]}"
    finally:
        server.shutdown()


def _reaped_pid() -> int:
    """The PID of a process that has run and been reaped: nothing runs under it now."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=30)
    return child.pid


def test_status_says_not_ready_when_a_recorded_pid_is_dead_though_its_url_answers(
    project: Path, vigie: CliRunner, answering: str
) -> None:
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    dead = _reaped_pid()
    try:
        state = LocalState(
            stack="dev", fast=True, ports=Ports(),
            processes={"alertmanager": Process(pid=running.pid, url=answering, log="am.log"),
                       "prometheus": Process(pid=dead, url=answering, log="prom.log")},
            scoring_url=answering, ray_metrics_url=f"{answering}/metrics",
            ray_worker_metrics_url=f"{answering}/metrics",
        )  # fmt: skip
        run_dir = project / "run" / "local"
        run_dir.mkdir(parents=True)
        (run_dir / STATE_FILE).write_text(state.model_dump_json())
        code, out, _ = vigie("--project-dir", project, "local", "status")
    finally:
        stop(running.pid)
    lines = {line.split("  ")[0].strip(): line for line in out.splitlines()}
    assert code == 1
    assert lines["alertmanager"].split()[1] == "ready"
    assert lines["prometheus"].endswith(f"(pid {dead} is not running)")
    assert "NOT READY" in lines["prometheus"]
    assert lines["scoring service"].endswith("(no pid recorded)")

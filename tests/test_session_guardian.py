"""The session guardian: a real Pushgateway started by a fixture of a child pytest run is gone within a bound
after that run ends, whether it is killed (SIGKILL: only the guardian can stop it), terminated (SIGTERM: the
fixture's own teardown does, gracefully) or timed out (pytest-timeout's thread method exits at once)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infra.local.process import alive
from tests.session_guardian import LOG_DIR, PROJECT_DIR, SESSION_MARK

BOUND_S = 15.0
"""How soon after the run's end the started process must be gone."""
ONLY_NAMED_PLUGINS = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
"""The child loads only the plugins it names: the installed ones (schemathesis…) take 3 s to import."""
CHILD_TEST = """
import os, time
from pathlib import Path
import pytest
from infra.local.process import LOOPBACK, free_port, start, stop

@pytest.fixture
def gateway(tmp_path):
    port = free_port()
    argv = ["prometheus-pushgateway", f"--web.listen-address={LOOPBACK}:{port}",
            f"--persistence.file={tmp_path}/pushgateway.db"]
    process = start("pushgateway", argv, tmp_path / "pushgateway.log", f"http://{LOOPBACK}:{port}/-/ready")
    try:
        yield process.pid
    finally:
        stop(process.pid)

def test_runs_until_the_run_ends(gateway):
    Path(os.environ["STARTED_PID_FILE"]).write_text(str(gateway))
    time.sleep(60)
"""
"""The child run's one test: a real Pushgateway from a fixture that stops it on teardown, as the suite's do."""


def _wait_for(path: Path, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while not path.is_file() or not path.read_text():
        assert time.monotonic() < deadline, f"the child run did not start its Pushgateway within {timeout:g}s"
        time.sleep(0.1)
    return int(path.read_text())


def _gone_within(pid: int, timeout: float) -> float:
    """Seconds until `pid` is gone (a zombie counts as gone); the bound when it is still there."""
    started = time.monotonic()
    while alive(pid) and time.monotonic() - started < timeout:
        time.sleep(0.05)
    return time.monotonic() - started


def _report(folder: Path, line: str, timeout: float) -> str:
    """The guardian's log once it holds `line` (it writes it after the process is gone), or as it is then."""
    deadline = time.monotonic() + timeout
    report = ""
    while line not in report and time.monotonic() < deadline:
        time.sleep(0.05)
        report = "".join(path.read_text() for path in folder.glob("*.log"))
    return report


@pytest.mark.parametrize(
    ("end", "timeout_args", "stopped_by_guardian"),
    [
        pytest.param(signal.SIGKILL, [], True, id="sigkill"),
        pytest.param(signal.SIGTERM, [], False, id="sigterm-tears-down-gracefully"),
        pytest.param(None, ["--timeout=2", "--timeout-method=thread"], True, id="pytest-timeout"),
    ],
)
def test_a_process_started_by_a_test_is_stopped_however_the_run_ends(
    tmp_path: Path, end: signal.Signals | None, timeout_args: list[str], stopped_by_guardian: bool
) -> None:
    (tmp_path / "test_child.py").write_text(CHILD_TEST)
    started = tmp_path / "started.pid"
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    argv = [sys.executable, "-m", "pytest", "-p", "tests.session_guardian", "-p", "pytest_timeout",
            "-p", "no:cacheprovider", "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path),
            *timeout_args, str(tmp_path / "test_child.py")]  # fmt: skip
    child = subprocess.Popen(argv, cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             env={**os.environ, **ONLY_NAMED_PLUGINS, "STARTED_PID_FILE": str(started)})  # fmt: skip
    pid = 0
    try:
        pid = _wait_for(started, 20)
        assert alive(pid)
        marks = dict(
            e.split("=", 1) for e in Path(f"/proc/{pid}/environ").read_text().split("\0") if "=" in e
        )
        assert marks[SESSION_MARK] != os.environ[SESSION_MARK], "the child run names its own session"
        if end is not None:
            child.send_signal(end)
        out, _ = child.communicate(timeout=30)
        took = _gone_within(pid, BOUND_S)
    finally:
        child.kill()
        child.wait()
        if pid and alive(pid):
            os.kill(pid, signal.SIGKILL)
    assert took < BOUND_S, f"pid {pid} still ran {BOUND_S:g}s after the run ended"
    if stopped_by_guardian:
        line = f"test guardian: stopped pid {pid} (prometheus-pushgateway"
        assert line in _report(tmp_path / LOG_DIR, line, BOUND_S - took)
    else:
        assert list((tmp_path / LOG_DIR).glob("*.log")) == [], "a graceful end removes the guardian's log"
        assert b"KeyboardInterrupt" in out
        assert b"test guardian: stopped" not in out, "the fixture's teardown stopped it before the guardian"

"""The test session's guardian (a plugin of tests/conftest.py): whatever the tests start is stopped when the run
ends, however it ends.

At start, the session names itself in `VIGIE_TEST_SESSION`, which every process a test starts inherits
(Prometheus, Alertmanager, the Pushgateway, Ray's processes…), and starts a guardian process holding the read end
of a pipe whose write end only pytest holds. A graceful end tears the fixtures down first (they stop what they
started), then closes the pipe; pytest dying (SIGKILL, pytest-timeout's thread method, a crash) closes it too, or
the guardian sees its parent gone. Either way the guardian then stops every process still carrying the session's
mark, by PID (SIGTERM, then SIGKILL), writes what it stopped to its log, and exits. SIGTERM to pytest becomes a
KeyboardInterrupt, so that it ends gracefully, fixtures' teardown included, as Ctrl-C does.

The guardian runs in its own session, so Ctrl-C in the terminal does not stop it before it has done its work.
Started as `python -m tests.session_guardian SESSION PARENT_PID` with the pipe as its stdin.
"""

from __future__ import annotations

import os
import secrets
import select
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import pytest

from infra.local.process import stop_marked

SESSION_MARK = "VIGIE_TEST_SESSION"
GRACE_S = 5.0
"""How long the guardian lets a process stop on SIGTERM before SIGKILL."""
POLL_S = 0.2
LOG_DIR = Path("run") / "test-guardian"
"""Under the run's root folder: the guardian's report (kept after a killed run, to say what it stopped)."""
PROJECT_DIR = Path(__file__).resolve().parents[1]


@dataclass
class Guardian:
    process: subprocess.Popen[bytes]
    pipe: int
    """The write end: closing it tells the guardian to sweep and exit."""
    log: Path


_GUARDIAN = pytest.StashKey[Guardian]()


def pytest_configure(config: pytest.Config) -> None:
    session = secrets.token_hex(8)
    os.environ[SESSION_MARK] = session
    log = config.rootpath / LOG_DIR / f"{session}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    read_end, write_end = os.pipe()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.session_guardian", session, str(os.getpid())],
            stdin=read_end, stdout=out, stderr=subprocess.STDOUT, cwd=PROJECT_DIR, start_new_session=True,
            env={name: value for name, value in os.environ.items() if name != SESSION_MARK},
        )  # fmt: skip
    os.close(read_end)
    config.stash[_GUARDIAN] = Guardian(process, write_end, log)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """After the fixtures' teardown (trylast), before the summary: sweep, and say what was left running."""
    lines = _release(session.config)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    for line in lines:
        if reporter is not None:
            reporter.write_line(line, yellow=True)


def pytest_unconfigure(config: pytest.Config) -> None:
    """When the session ended before its finish (a usage error), or a plugin skipped it."""
    _release(config)


def _release(config: pytest.Config) -> list[str]:
    """Close the pipe, wait for the guardian's sweep and return its report; once."""
    guardian = config.stash.get(_GUARDIAN, None)
    if guardian is None:
        return []
    del config.stash[_GUARDIAN]
    os.close(guardian.pipe)
    guardian.process.wait(timeout=GRACE_S + 30)
    lines = guardian.log.read_text().splitlines()
    guardian.log.unlink()
    return lines


def guard(session: str, parent: int) -> list[str]:
    """Wait until pytest closes the pipe (stdin) or is gone, then stop what carries the session's mark."""
    while os.getppid() == parent and not select.select([sys.stdin], [], [], POLL_S)[0]:
        continue
    return [
        f"test guardian: stopped pid {stopped.pid} ({stopped.command}), still running at the end of the run"
        for stopped in stop_marked(SESSION_MARK, session, GRACE_S)
    ]


if __name__ == "__main__":
    for line in guard(sys.argv[1], int(sys.argv[2])):
        print(line, flush=True)

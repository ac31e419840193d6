"""`vigie local status`, `restart` and `down` on real processes recorded in a state file (no Ray, so each test
takes about a second): a process is ready only when its recorded PID runs and its URL answers; `restart`
starts processes again as they were recorded, on their data, several together; `down` also stops the run
folder's processes that state.json misses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from infra.local.process import LOOPBACK, alive, carries, free_port, start, stop
from infra.local.stack import RUN_MARK, STATE_FILE, LocalState, Ports, Process, down, launch, read_state
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


def _pushgateway_argv(run_dir: Path) -> tuple[list[str], str]:
    """The stack's Pushgateway command line on a free port, and its ready URL."""
    port = free_port()
    argv = ["prometheus-pushgateway", f"--web.listen-address={LOOPBACK}:{port}",
            f"--persistence.file={run_dir.resolve() / 'pushgateway.db'}"]  # fmt: skip
    return argv, f"http://{LOOPBACK}:{port}/-/ready"


def _launch_pushgateway(run_dir: Path) -> Process:
    """A Pushgateway started as `up` starts it: marked as this run folder's."""
    argv, ready = _pushgateway_argv(run_dir)
    return launch("pushgateway", argv, run_dir / "pushgateway.log", ready, run_dir)


def _record(run_dir: Path, processes: dict[str, Process], url: str) -> None:
    state = LocalState(stack="dev", fast=True, ports=Ports(), processes=processes, scoring_url=url,
                       ray_metrics_url=url, ray_worker_metrics_url=url)  # fmt: skip
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / STATE_FILE).write_text(state.model_dump_json())


def _push(url: str, body: bytes) -> None:
    request = urllib.request.Request(f"{url}/metrics/job/restart-test", data=body, method="PUT")
    urllib.request.urlopen(request, timeout=5).close()


def _pushed(url: str) -> str:
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as response:
        return str(response.read().decode())


def _recorded_pushgateways(project: Path, url: str, *names: str) -> tuple[Path, dict[str, Process]]:
    """The run folder, and a Pushgateway launched as `up` launches it and recorded under each of `names`."""
    run_dir = project / "run" / "local"
    run_dir.mkdir(parents=True)
    launched = {name: _launch_pushgateway(run_dir) for name in names}
    _record(run_dir, launched, url)
    return run_dir, launched


@pytest.mark.parametrize(
    ("killed_first", "says", "keeps_data"),
    [
        pytest.param(False, "(pid {old} stopped)", True, id="running: stopped, then started on its data"),
        pytest.param(True, "(its recorded pid was not running)", False, id="killed with SIGKILL: started"),
    ],
)
def test_restart_starts_one_process_again_with_its_recorded_command_line(
    project: Path, vigie: CliRunner, answering: str, killed_first: bool, says: str, keeps_data: bool
) -> None:
    run_dir, launched = _recorded_pushgateways(project, answering, "pushgateway")
    old = launched["pushgateway"]
    _push(old.url, b"vigie_restart_probe 42\n")
    if killed_first:
        os.kill(old.pid, signal.SIGKILL)
    try:
        code, out, err = vigie("--project-dir", project, "local", "restart", "pushgateway")
        state = read_state(run_dir)
        assert state is not None
        new = state.processes["pushgateway"]
        assert (code, err) == (0, "")
        assert out == f"pushgateway restarted {says.format(old=old.pid)}: pid {new.pid}, {old.url} ready\n"
        assert not alive(old.pid)
        assert new.pid != old.pid and carries(new.pid, RUN_MARK, str(run_dir.resolve()))
        assert new.model_dump(exclude={"pid"}) == old.model_dump(exclude={"pid"})
        assert ("vigie_restart_probe" in _pushed(new.url)) is keeps_data
        assert list(run_dir.glob(".*.tmp")) == []
    finally:
        down(run_dir)


def test_restart_of_several_stops_each_and_starts_each_as_recorded(
    project: Path, vigie: CliRunner, answering: str
) -> None:
    """As the two Alertmanagers of a cluster restart (`restart` spawns them all before it waits for any)."""
    run_dir, old = _recorded_pushgateways(project, answering, "pushgateway", "pushgateway-2")
    try:
        code, out, err = vigie("--project-dir", project, "local", "restart", "pushgateway", "pushgateway-2")
        state = read_state(run_dir)
        assert state is not None
        assert (code, err) == (0, "")
        assert out.splitlines() == [
            f"{name} restarted (pid {was.pid} stopped): pid {state.processes[name].pid}, {was.url} ready"
            for name, was in old.items()
        ]
        assert [alive(was.pid) for was in old.values()] == [False, False]
        assert all(carries(state.processes[name].pid, RUN_MARK, str(run_dir.resolve())) for name in old)
    finally:
        down(run_dir)


def test_restart_naming_an_unknown_process_stops_none_of_the_others(
    project: Path, vigie: CliRunner, answering: str
) -> None:
    run_dir, old = _recorded_pushgateways(project, answering, "pushgateway")
    try:
        code, out, err = vigie("--project-dir", project, "local", "restart", "pushgateway", "grafana")
        assert (code, out) == (2, "")
        assert err.startswith("error: no process named 'grafana' in the local stack")
        assert alive(old["pushgateway"].pid)
    finally:
        down(run_dir)


def _old_state(run_dir: Path, url: str) -> None:
    """A state file written before `restart` existed: no command line recorded."""
    _record(run_dir, {"pushgateway": Process(pid=_reaped_pid(), url=url, log="pg.log")}, url)


@pytest.mark.parametrize(
    ("recorded", "process", "error"),
    [
        pytest.param(False, "pushgateway", "error: no local stack in {run_dir}: run `vigie local up` first",
                     id="no stack recorded"),
        pytest.param(True, "grafana", "error: no process named 'grafana' in the local stack; choose one of: "
                     "pushgateway, scoring", id="unknown process"),
        pytest.param(True, "pushgateway", "error: {run_dir}/state.json records no command line for pushgateway "
                     "(written by an older vigie): run `vigie local down`, then `vigie local up`",
                     id="state file from before restart"),
    ],
)  # fmt: skip
def test_restart_refuses_in_one_line(
    project: Path, vigie: CliRunner, answering: str, recorded: bool, process: str, error: str
) -> None:
    run_dir = project / "run" / "local"
    if recorded:
        _old_state(run_dir, answering)
    code, out, err = vigie("--project-dir", project, "local", "restart", process)
    assert (code, out) == (2, "")
    assert err == error.format(run_dir=run_dir.resolve()) + "\n"


def _crash_before_record(run_dir: Path, url: str) -> list[int]:
    """`up` killed after starting the Pushgateway, before writing state.json."""
    return [_launch_pushgateway(run_dir).pid]


def _hand_restart(run_dir: Path, url: str) -> list[int]:
    """The recorded Pushgateway died, and was started again by hand with its recorded command line (unmarked)."""
    argv, ready = _pushgateway_argv(run_dir)
    _record(run_dir, {"pushgateway": Process(pid=_reaped_pid(), url=url, log="pg.log", argv=argv,
                                             ready_url=ready)}, url)  # fmt: skip
    return [start("pushgateway", argv, run_dir / "by-hand.log", ready).pid]


def _recorded_and_not(run_dir: Path, url: str) -> list[int]:
    """A recorded Pushgateway, and a second one of this run folder that state.json misses."""
    _record(run_dir, {"pushgateway": _launch_pushgateway(run_dir)}, url)
    return [_launch_pushgateway(run_dir).pid]


@pytest.mark.parametrize(
    "situation",
    [
        pytest.param(_crash_before_record, id="crash of up before the record"),
        pytest.param(_hand_restart, id="restart by hand with the recorded command line"),
        pytest.param(_recorded_and_not, id="one recorded, one not"),
    ],
)
def test_down_stops_processes_of_the_run_that_state_json_misses(
    project: Path, vigie: CliRunner, answering: str, situation: Callable[[Path, str], list[int]]
) -> None:
    run_dir = project / "run" / "local"
    run_dir.mkdir(parents=True)
    unrecorded = situation(run_dir, answering)
    recorded = read_state(run_dir)
    try:
        code, out, _ = vigie("--project-dir", project, "local", "down")
    finally:
        for pid in unrecorded:
            if alive(pid):
                stop(pid)
    assert code == 0
    head = ["local stack dev stopped"] if recorded is not None else []
    assert out.splitlines()[: len(head)] == head
    stopped = out.splitlines()[len(head) :]
    assert len(stopped) == len(unrecorded)
    for pid, line in zip(unrecorded, stopped, strict=True):
        assert line.startswith(f"stopped pid {pid} (prometheus-pushgateway --web.listen-address={LOOPBACK}:")
        assert line.endswith("): started by this stack, not in state.json")
    assert [pid for pid in unrecorded if alive(pid)] == []
    assert read_state(run_dir) is None

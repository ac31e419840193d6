"""Driving one server with wrk at fixed concurrency, and accounting the CPU each process spent meanwhile.

CPU comes from /proc (utime + stime) of every process in the server's session, sampled around the measured
window; wrk's own from its rusage. The machine's total busy time is sampled too, so load from other users of
the machine shows up as "others" instead of being blamed on the server.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

WRK_SCRIPT = Path(__file__).with_name("serving_wrk.lua")
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[int, int]
    socket_errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


@dataclass(frozen=True)
class CpuUse:
    by_process: dict[str, float]
    """CPU seconds by process name over the window."""
    wrk: float
    machine: float
    """CPU seconds the whole machine spent (all cores, all users)."""
    seconds: float


def _process_name(pid: int) -> str:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    first = cmdline[0].decode(errors="replace")
    if first.startswith("ray::"):  # Ray titles workers ray::<Actor>[.<method running now>]
        return first.split(":")[2] if first.startswith("ray::ServeReplica") else first[5:].split(".")[0]
    if "python" not in first:
        return Path(first).name
    script = next((c.decode() for c in cmdline[1:3] if c and not c.startswith(b"-")), first)
    return Path(script).name


def session_processes(session: int) -> dict[int, str]:
    """Name by PID of the processes in `session`."""
    return {pid: name for pid, (name, _) in _session_cpu(session).items()}


def _session_cpu(session: int) -> dict[int, tuple[str, float]]:
    """CPU seconds so far of every process in `session`, with its name."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == session:
            pid = int(stat.parent.name)
            found[pid] = (_process_name(pid), (int(fields[11]) + int(fields[12])) / _TICKS)
    return found


def _machine_busy() -> float:
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / _TICKS


def run_wrk(
    url: str, bodies: Path, concurrency: int, seconds: float, session: int, ids: Path
) -> tuple[Load, CpuUse]:
    """wrk with one thread and `concurrency` keep-alive connections for `seconds`; the load and the CPU spent.
    The request id of every 200 answer is written to `ids`, one per line."""
    before, busy, started = _session_cpu(session), _machine_busy(), time.monotonic()
    process = subprocess.Popen(
        [
            "wrk",
            "-t1",
            f"-c{concurrency}",
            f"-d{seconds:g}s",
            "--timeout",
            "10s",
            "-s",
            str(WRK_SCRIPT),
            url,
            "--",
            str(bodies),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "WRK_IDS": str(ids)},
    )
    assert process.stdout is not None
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    after, busy, elapsed = _session_cpu(session), _machine_busy() - busy, time.monotonic() - started
    if status != 0:
        raise RuntimeError(f"wrk failed: {process.stderr.read().decode() if process.stderr else ''}")
    summary = json.loads(output.strip().splitlines()[-1])
    load = Load(
        requests=summary["requests"],
        seconds=summary["duration_us"] / 1e6,
        p50_ms=summary["p50_us"] / 1000,
        p95_ms=summary["p95_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        max_ms=summary["max_us"] / 1000,
        statuses={int(k): v for k, v in summary["statuses"].items()},
        socket_errors=summary["socket_errors"],
    )
    by_process: dict[str, float] = {}
    for pid, (name, total) in after.items():
        by_process[name] = by_process.get(name, 0.0) + total - before.get(pid, (name, 0.0))[1]
    return load, CpuUse(by_process, usage.ru_utime + usage.ru_stime, busy, elapsed)

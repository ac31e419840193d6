"""CPU in Serve's scaling decision, live: the local scoring service under CPU-heavy requests raises Serve's target
replicas above minReplicas through serving.autoscaling_policy's CPU decision, and lets them go after the load.

A service of its own, not test_local_scoring_service's: its replicas reserve a quarter of a CPU, so that the
CPU-heavy requests pass the threshold even on a machine whose other tests take most of its cores, and the
delays are short. The other module's load tests must not scale.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from conventions import contract
from infra.cli import main
from infra.local.process import free_port
from infra.local.scoring_service import read_state
from infra.local.traffic import drive, set_faults
from infra.local.traffic_modes import Mode
from tests.conftest import PROJECT_DIR
from tests.infra.stack_edits import edit_stack

ROOT = PROJECT_DIR / "run" / f"t-scale-{os.getpid()}"
RUN_DIR = "run/serve"
APPLICATION = "scoring"
SCALING = {
    "minReplicas": 1,
    "maxReplicas": 2,
    "targetOngoingRequests": 8,
    "upscaleDelay": "1s",
    "downscaleDelay": "2s",
    "lookBackPeriod": "11s",
}
"""dev's bounds and target; delays and window short enough to see Serve go up and back down within a minute
(replicas report every 10 s, and the window must be longer than that)."""
REPLICA_CPUS = 0.25
CPU_BURN_MS = 300
RATE = 10.0
"""Requests per second: they ask for 3 cores of CPU, 12 times what a replica reserved, while their ongoing
requests (about 3) stay under the target (8), so only the CPU decision can scale out."""
WAIT_S = 45.0


def _vigie(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(["--project-dir", str(ROOT), *args])
    return code, out.getvalue()


@dataclass(frozen=True)
class Service:
    url: str
    head_metrics: str
    """Serve's controller runs on the head: its metrics endpoint exports the autoscaler's figures."""


@pytest.fixture(scope="module")
def service() -> Iterator[Service]:
    ROOT.mkdir(parents=True)
    stack_path = ROOT / "Pulumi.dev.yaml"
    shutil.copy(PROJECT_DIR / "Pulumi.dev.yaml", stack_path)
    edit_stack(stack_path, "vigie:serving", "autoscaling", SCALING)
    edit_stack(stack_path, "vigie:serving", "resources", {"cpus": REPLICA_CPUS})
    try:
        assert _vigie("model", "train", "--stack", "dev")[0] == 0
        code, out = _vigie(
            "serve", "start", "--stack", "dev", "--port", str(free_port()), "--metrics-port",
            str(free_port()), "--enable-faults", "--run-dir", RUN_DIR, "--timeout", "240",
        )  # fmt: skip
        assert code == 0, out
        state = read_state(ROOT / RUN_DIR)
        assert state is not None
        yield Service(state.url, state.metrics_urls[0])
    finally:
        _vigie("serve", "stop", "--run-dir", RUN_DIR)
        shutil.rmtree(ROOT, ignore_errors=True)


def _target_replicas(head: str) -> float | None:
    """Serve's target replicas for the scoring deployment, as its controller exports it; None until its first
    export, which can come one metrics report interval after the service answers."""
    name = contract.AUTOSCALING_TARGET_REPLICAS.name
    for line in httpx.get(head, timeout=10).text.splitlines():
        if line.startswith(name + "{") and f'{contract.APPLICATION}="{APPLICATION}"' in line:
            return float(line.rsplit(" ", 1)[1])
    return None


def _wait_target(head: str, met: Callable[[float], bool], what: str) -> float:
    deadline = time.monotonic() + WAIT_S
    while (target := _target_replicas(head)) is None or not met(target):
        assert time.monotonic() < deadline, f"target replicas still {target} after {WAIT_S:g} s: {what}"
        time.sleep(0.5)
    return target


def test_cpu_heavy_load_scales_the_replicas_out_and_back_in_after_it(
    service: Service, applicants: list[dict[str, Any]]
) -> None:
    low = SCALING["minReplicas"]
    _wait_target(service.head_metrics, lambda t: t == low, "at minReplicas before the load")
    started = time.monotonic()
    statuses: set[int] = set()
    set_faults(service.url, 0.0, 0, CPU_BURN_MS)
    try:
        while (high := _target_replicas(service.head_metrics)) is None or high <= low:
            assert time.monotonic() < started + WAIT_S, f"target replicas still {high} after {WAIT_S:g} s"
            statuses |= set(drive(service.url, applicants, Mode.NORMAL, 2, RATE).statuses)
        scaled_out = time.monotonic() - started
    finally:
        set_faults(service.url, 0.0, 0)
    stopped = time.monotonic()
    _wait_target(service.head_metrics, lambda t: t == low, "after the load")
    print(
        f"\nCPU-heavy load: target replicas {low} -> {high:g} after {scaled_out:.1f} s of load, back to {low} "
        f"{time.monotonic() - stopped:.1f} s after it stopped"
    )
    assert statuses == {200}

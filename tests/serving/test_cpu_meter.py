"""A replica's CPU share: CPU time over wall time since the last reading, over the CPUs it reserved."""

from __future__ import annotations

import threading
import time

import pytest

from serving.cpu_meter import CpuMeter


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("cpus", "cpu_s", "wall_s", "share"),
    [
        (1.0, 0.0, 5.0, 0.0),
        (1.0, 4.25, 5.0, 0.85),
        (1.0, 9.0, 5.0, 1.8),
        (0.5, 2.5, 5.0, 1.0),
        (2.0, 5.0, 5.0, 0.5),
    ],
)
def test_the_share_is_cpu_time_over_wall_time_over_the_reserved_cpus(
    cpus: float, cpu_s: float, wall_s: float, share: float
) -> None:
    cpu, wall = _Clock(), _Clock()
    meter = CpuMeter(cpus, cpu, wall)
    cpu.now, wall.now = cpu_s, wall_s
    assert meter.share() == pytest.approx(share)
    wall.now += wall_s
    assert meter.share() == 0.0, "each reading covers only the time since the previous one"


def _spin(cpu_s: float) -> None:
    """Busy until this process has used `cpu_s` more CPU time."""
    until = time.process_time() + cpu_s
    while time.process_time() < until:
        pass


def test_cpu_burnt_by_another_thread_of_the_replica_counts() -> None:
    """The model's native code and the fault injector burn CPU off the event loop's thread."""
    meter = CpuMeter(1.0)
    worker = threading.Thread(target=_spin, args=(0.3,))
    worker.start()
    worker.join()
    assert meter.share() > 0.2


def test_a_replica_without_cpus_is_refused() -> None:
    with pytest.raises(ValueError, match="cpus must be positive, got 0"):
        CpuMeter(0)

"""A replica's CPU for the autoscaling policy: the process's CPU time (every thread's, the model's native code and
the batch threads included) over the wall-clock time since the last reading, as a share of the CPUs the replica
reserved from Ray. On Kubernetes a worker pod holds one replica, and by default the replica reserves the pod's CPU
request (1), so the share reads as the pod's utilisation, the figure an HPA would scale on.
"""

from __future__ import annotations

import time
from collections.abc import Callable

_SHORTEST_S = 1e-3
"""Two readings closer than this (the first tick after start) count as this long, never as a division by zero."""


class CpuMeter:
    def __init__(
        self,
        cpus: float,
        cpu_clock: Callable[[], float] = time.process_time,
        wall_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if cpus <= 0:
            raise ValueError(f"cpus must be positive, got {cpus}")
        self._cpus, self._cpu_clock, self._wall_clock = cpus, cpu_clock, wall_clock
        self._cpu, self._wall = cpu_clock(), wall_clock()

    def share(self) -> float:
        """CPU used since the previous call (or the meter's start), as a share of the reserved CPUs."""
        cpu, wall = self._cpu_clock(), self._wall_clock()
        used = (cpu - self._cpu) / max(wall - self._wall, _SHORTEST_S) / self._cpus
        self._cpu, self._wall = cpu, wall
        return used

"""The scoring deployment's Serve autoscaling policy: the larger of two decisions, one from ongoing requests (Serve's
own rule) and one from the replicas' CPU, so CPU-bound load scales out before `CpuUsageHigh` fires.

The CPU decision is the HPA's: `ceil(running replicas x mean CPU / threshold)`, which adds replicas exactly when the
replicas' mean CPU (each as a share of the CPUs it reserved, reported by `serving.cpu_meter`) is above the
threshold, and lets them go once the rest could carry the load below it. The threshold is `CpuUsageHigh`'s as
resolved for the stack, passed by `serving.serve_config` in the policy's kwargs: one setting feeds the alert, the
dashboard's line and this policy.

Serve wraps every custom policy (`ray.serve.autoscaling_policy._apply_autoscaling_config`, Ray 2.60): it applies
`upscale_delay_s` and `downscale_delay_s` to what the policy returns and bounds it by min and max replicas, so the
policy applies neither delay itself (they would add up). It clamps to the bounds too, so that its own answer is
the one Serve acts on.

Serve pickles this module by value into its controller; it imports nothing from Vigie for that reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import fmean
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the CLI imports this module (for IMPORT_PATH) and must not load Ray
    from ray.serve.config import AutoscalingContext

CPU_STAT = "cpu_of_request"
"""The figure each replica reports through `record_autoscaling_stats`: its process CPU over its CPU request."""
IMPORT_PATH = "serving.autoscaling_policy:CpuAndQueuePolicy"
"""What the Serve config names as the policy (the vigie package is in the image, so the cluster imports it)."""
_ROUNDING = 1e-9
"""A product that lands on a whole number up to float error is that number: CPU exactly at the threshold holds."""


@dataclass(frozen=True)
class Figures:
    """What Serve's controller knows of the deployment at one decision, each averaged over the look-back window."""

    running_replicas: int
    ongoing_requests: float
    """Running and queued requests of the whole deployment."""
    replica_cpu: tuple[float, ...]
    """Each reporting replica's CPU as a share of its request (1.0: all it reserved; above: more than that)."""


@dataclass(frozen=True)
class Targets:
    """What the stack asks for: Serve's ongoing-requests target, the CPU threshold and the replica bounds."""

    ongoing_requests: float
    """Per replica."""
    cpu: float
    """Mean CPU share above which replicas are added (CpuUsageHigh's threshold)."""
    min_replicas: int
    max_replicas: int


def queue_replicas(figures: Figures, targets: Targets) -> float:
    """Serve's default rule: as many replicas as the ongoing requests fill at the target."""
    return figures.ongoing_requests / targets.ongoing_requests


def cpu_replicas(figures: Figures, targets: Targets) -> float:
    """Replicas that would bring the mean CPU back to the threshold; none to ask for before any replica reports."""
    if not figures.replica_cpu:
        return 0.0
    return figures.running_replicas * fmean(figures.replica_cpu) / targets.cpu


def desired_replicas(figures: Figures, targets: Targets) -> int:
    """The larger of the two decisions, rounded up, within the bounds."""
    wanted = max(queue_replicas(figures, targets), cpu_replicas(figures, targets))
    return min(targets.max_replicas, max(targets.min_replicas, math.ceil(wanted - _ROUNDING)))


class CpuAndQueuePolicy:
    """The Serve policy (a class: Serve builds it once with the config's policy_kwargs and calls it each tick)."""

    def __init__(self, cpu_threshold: float) -> None:
        self._cpu_threshold = cpu_threshold

    def figures(self, ctx: AutoscalingContext) -> Figures:
        reported = (ctx.aggregated_metrics or {}).get(CPU_STAT, {})
        cpu = tuple(reported[r] for r in ctx.running_replicas if r in reported)
        return Figures(ctx.current_num_replicas, ctx.total_num_requests, cpu)

    def targets(self, ctx: AutoscalingContext) -> Targets:
        config = ctx.config
        assert config is not None, "Serve passes the deployment's autoscaling config to its policy"
        return Targets(
            config.get_target_ongoing_requests(),
            self._cpu_threshold,
            ctx.capacity_adjusted_min_replicas,
            ctx.capacity_adjusted_max_replicas,
        )

    def __call__(self, ctx: AutoscalingContext) -> tuple[int, dict[str, Any]]:
        return desired_replicas(self.figures(ctx), self.targets(ctx)), {}

"""The CPU-and-queue autoscaling policy: the larger of the ongoing-requests and the CPU decisions, within the
bounds, on tables of figures; then as Serve runs it, built from a Serve config and wrapped by Serve's delays."""

from __future__ import annotations

from typing import Any

import pytest
from ray.serve._private.common import DeploymentID, ReplicaID
from ray.serve.autoscaling_policy import _apply_autoscaling_config
from ray.serve.config import AutoscalingConfig, AutoscalingContext

from conventions import dashboard_uids as uids
from rules_src.stack import load_stack
from serving.autoscaling_policy import CPU_STAT, CpuAndQueuePolicy, Figures, Targets, desired_replicas
from serving.serve_config import serve_config
from tests.conftest import PROJECT_DIR, STACKS
from tests.dashboards_src.grafana_json import dashboard, panels_titled, threshold_values

TARGETS = Targets(ongoing_requests=8, cpu=0.85, min_replicas=1, max_replicas=4)


@pytest.mark.parametrize(
    ("running", "ongoing", "cpu", "targets", "expected"),
    [
        pytest.param(1, 0, (0.05,), TARGETS, 1, id="idle: the minimum"),
        pytest.param(1, 0, (0.85,), TARGETS, 1, id="CPU at the threshold holds (the alert's > too)"),
        pytest.param(1, 0, (0.86,), TARGETS, 2, id="CPU just above the threshold adds a replica"),
        pytest.param(2, 2, (0.95, 0.97), TARGETS, 3, id="CPU-bound with few requests: CPU decides"),
        pytest.param(2, 8, (1.7, 1.7), TARGETS, 4, id="replicas using twice their request: doubled"),
        pytest.param(2, 24, (0.3, 0.3), TARGETS, 3, id="queue-bound with idle CPU: requests decide"),
        pytest.param(4, 0, (2.0,) * 4, TARGETS, 4, id="never above maxReplicas"),
        pytest.param(3, 4, (0.2, 0.2, 0.2), TARGETS, 1, id="both low: down to what the load needs"),
        pytest.param(2, 0, (0.5, 0.5), TARGETS, 2, id="one replica would run above the threshold: hold"),
        pytest.param(2, 0, (0.4, 0.4), TARGETS, 1, id="one replica carries it below the threshold: release"),
        pytest.param(2, 10, (), TARGETS, 2, id="no CPU reported yet: requests alone"),
        pytest.param(2, 0, (0.9,), TARGETS, 3, id="the mean is over the replicas that reported"),
        pytest.param(1, 0, (), Targets(8, 0.85, 2, 4), 2, id="never below minReplicas"),
        pytest.param(1, 0, (0.6,), Targets(8, 0.5, 1, 4), 2, id="the stack's threshold, not a constant"),
    ],
)
def test_the_larger_of_the_cpu_and_the_queue_decisions_within_the_bounds(
    running: int, ongoing: float, cpu: tuple[float, ...], targets: Targets, expected: int
) -> None:
    assert desired_replicas(Figures(running, ongoing, cpu), targets) == expected


def _context(
    config: AutoscalingConfig, cpu: dict[str, float], ongoing: float, target: int
) -> AutoscalingContext:
    deployment = DeploymentID(name="CreditScorer", app_name="scoring")
    replicas = [ReplicaID(name, deployment) for name in sorted(cpu)]
    return AutoscalingContext(
        deployment_id=deployment,
        deployment_name=deployment.name,
        app_name=deployment.app_name,
        current_num_replicas=len(replicas),
        target_num_replicas=target,
        running_replicas=replicas,
        total_num_requests=ongoing,
        total_queued_requests=0.0,
        aggregated_metrics={CPU_STAT: {r: cpu[r.unique_id] for r in replicas}},
        raw_metrics=None,
        capacity_adjusted_min_replicas=config.min_replicas,
        capacity_adjusted_max_replicas=config.max_replicas,
        policy_state={},
        last_scale_up_time=None,
        last_scale_down_time=None,
        current_time=None,
        config=config,
    )


def _autoscaling(stack_name: str, **changes: Any) -> AutoscalingConfig:
    stack = load_stack(PROJECT_DIR, stack_name)
    config = serve_config(stack.settings.serving, stack.settings.model, stack.alerts)
    return AutoscalingConfig(
        **{**config["applications"][0]["deployments"][0]["autoscaling_config"], **changes}
    )


@pytest.mark.parametrize("stack_name", STACKS)
def test_each_stacks_serve_config_names_the_policy_built_with_cpu_usage_highs_threshold(
    stack_name: str,
) -> None:
    config = _autoscaling(stack_name)
    policy = config.policy.get_policy()(**config.policy.policy_kwargs)
    threshold = load_stack(PROJECT_DIR, stack_name).alerts.named("CpuUsageHigh").threshold
    assert isinstance(policy, CpuAndQueuePolicy)
    assert policy.targets(_context(config, {"a": 0.0}, 0.0, 1)).cpu == threshold


@pytest.mark.parametrize(("upscale_delay_s", "target"), [(3600.0, 2), (0.0, 4)])
def test_serve_delays_the_policys_cpu_decision_by_the_upscale_delay(
    upscale_delay_s: float, target: int
) -> None:
    """Prod (2 to 8 replicas) with both replicas at twice their CPU: the policy asks for 4 at once; Serve's
    wrapper keeps the current target until the upscale delay has passed."""
    config = _autoscaling("prod", upscale_delay_s=upscale_delay_s)
    policy = _apply_autoscaling_config(CpuAndQueuePolicy(0.85))
    decision, _ = policy(_context(config, {"a": 1.7, "b": 1.7}, 2.0, 2))
    assert decision == target


@pytest.mark.parametrize("stack_name", STACKS)
def test_the_operations_dashboards_cpu_line_is_the_policys_threshold(stack_name: str) -> None:
    """One setting, two readers: the line the CPU panel draws is where the policy scales out."""
    (panel,) = panels_titled(dashboard(stack_name, uids.OPERATIONS), "CPU usage")
    kwargs = _autoscaling(stack_name).policy.policy_kwargs
    assert threshold_values(panel) == [pytest.approx(kwargs["cpu_threshold"] * 100)]

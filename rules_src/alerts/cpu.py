"""Resource: mean CPU of the scoring cluster's workers above 85 % for 10 minutes (seed §2.A, §4 "Ressource").

The threshold is also where Serve scales: the Serve config's autoscaling policy (serving.autoscaling_policy)
adds replicas as soon as the replicas' mean CPU passes it, so the alert fires only when CPU stays above it for
the whole `for`: at maxReplicas, with scaling off (minReplicas = maxReplicas), or with no room for new pods.

The mean is over the worker nodes only, the pods that host replicas. The RayService's head runs no replica
(`num-cpus: 0`): with it in the mean, two workers at 95 % beside an idle head average about 65 % and the alert
never fires, which is the very case it exists for.

Workers are selected by Ray's own tag, `RayNodeType="worker"`, not by the `ray_io_node_type` pod label the
PodMonitor attaches: Ray's reporter puts the tag on every node metric wherever Ray runs (KubeRay pods, the
local two-node stack, a cluster scraped by another ServiceMonitor or a static config), while the pod label
exists only where the PodMonitor's podTargetLabels put it, so a selector on it would select nothing, and
the alert would stay silent, anywhere else.
"""

from __future__ import annotations

from conventions import contract as c
from conventions import dashboard_uids as uids
from conventions import promql as p
from conventions.routing import Category, Severity
from rules_src.alert import AlertSpec, RecordingBuilder, Scenario, Scope, Unit, ValueFormat
from rules_src.alerts.scenarios import MARGIN, gauge

CPU_THRESHOLD = 0.85  # "Utilisation CPU > 85% pendant 10 minutes"
CPU_FOR = "10m"


IDLE_HEAD_PERCENT = 5.0
"""The head's CPU in the scenarios: idle, so that a mean that counted it would sit far below the threshold."""
WORKER_SPREAD = 1.0
"""The scenario's two workers sit this many points either side of their mean: only the mean may decide."""


def _workers(scope: Scope) -> p.Selector:
    """The node CPU of the cluster's worker nodes, by Ray's own node-type tag (see the module docstring)."""
    cluster = scope.cluster(c.NODE_CPU_UTILIZATION.name)
    return p.select(cluster.name, *cluster.matchers, p.equals(c.RAY_NODE_TYPE, c.WORKER_NODE))


def _cluster_cpu(scope: Scope) -> p.Expr:
    """Mean over the cluster's worker nodes, in percent as Ray reports it."""
    return p.avg(_workers(scope), by=(c.NAMESPACE,))


RECORDINGS: dict[c.Recording, RecordingBuilder] = {c.CPU_USAGE: _cluster_cpu}


def _cpu_above(scope: Scope, threshold: float | None) -> p.Expr:
    """The threshold is a ratio (0.85); the recorded CPU is in percent."""
    assert threshold is not None
    return p.gt(p.select(c.CPU_USAGE.name), threshold * 100)


def _pod(scope: Scope, node_type: str, pod: str, ip: str) -> dict[str, str]:
    """A Ray pod's node-metric labels as the PodMonitor scrapes them on Kubernetes (and the local stack too)."""
    return {
        c.NAMESPACE: scope.namespace,
        c.JOB: f"{scope.namespace}/vigie-scoring",
        c.POD: f"vigie-scoring-raycluster-k8x2q-{pod}",
        c.CONTAINER: f"ray-{node_type}",
        c.ENDPOINT: "metrics",
        c.NODE_TYPE_POD_LABEL: node_type,
        c.RAY_NODE_TYPE: node_type,
        "ip": ip,
    }


def _node_cpu(scope: Scope, threshold: float | None, breach: bool) -> Scenario:
    """An idle head beside two busy workers whose mean is just past the threshold (or exactly at it)."""
    assert threshold is not None
    percent = min(threshold * 100 * (1 + MARGIN), 100.0) if breach else threshold * 100
    spread = min(WORKER_SPREAD, percent, 100.0 - percent)
    metric = c.NODE_CPU_UTILIZATION.name
    series = (
        gauge(metric, _pod(scope, c.HEAD_NODE, "head-7xkq9", "10.0.0.10"), IDLE_HEAD_PERCENT),
        gauge(metric, _pod(scope, c.WORKER_NODE, "scoring-worker-b2n4m", "10.0.0.11"), percent + spread),
        gauge(metric, _pod(scope, c.WORKER_NODE, "scoring-worker-q9t7d", "10.0.0.12"), percent - spread),
    )
    return Scenario(series, percent, {c.NAMESPACE: scope.namespace}, active_from=0)


CPU_USAGE = AlertSpec(
    name="CpuUsageHigh",
    family="cpu",
    service="scoring",
    category=Category.RESOURCE,
    severity=Severity.WARNING,
    unit=Unit.RATIO,
    threshold=CPU_THRESHOLD,
    for_=CPU_FOR,
    expr=_cpu_above,
    summary="Scoring cluster CPU above {threshold} for {for_}",
    description="Mean CPU of the scoring cluster in {namespace} is {value}, above {threshold} for {for_}. "
    "Serve adds replicas as soon as the replicas' mean CPU passes {threshold}, so this fires only when CPU stays "
    "above it: autoscaling is at its maximum, off, or not keeping up.",
    value_format=ValueFormat.PERCENT_POINTS,
    dashboard=uids.OPERATIONS,
    scenario=_node_cpu,
    impact="The worker pods that host the replicas average more than {threshold} CPU for {for_}: latency is "
    "about to rise, and autoscaling, which adds replicas from the first moment CPU passes {threshold}, could "
    "not bring it back down.",
    causes=(
        "Autoscaling is at serving.autoscaling.maxReplicas, or the cluster has no room for another worker "
        "pod.",
        "Autoscaling is off: serving.autoscaling.minReplicas equals maxReplicas.",
        "Something other than scoring runs on the worker pods (a runaway process, a debugging session).",
    ),
    actions=(
        "Are the replicas at serving.autoscaling.maxReplicas while CPU stays high (panels above)?",
        "Check the worker pods' CPU limits (`kubectl -n {namespace} top pods`) and whether they are "
        "throttled.",
        "Raise serving.autoscaling.maxReplicas or lower its targetOngoingRequests, and make sure the node "
        "pool can grow.",
    ),
    related=(c.AUTOSCALING_DESIRED_REPLICAS.name,),
)

ALERTS = (CPU_USAGE,)

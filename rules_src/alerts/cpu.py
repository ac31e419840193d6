"""Resource: mean CPU of the scoring cluster above 85 % for 10 minutes (seed §2.A, §4 "Ressource").

The autoscaler should act well before this; the alert says it did not (disabled, at max, or ineffective).
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


def _cluster_cpu(scope: Scope) -> p.Expr:
    """Mean over the cluster's nodes, in percent as Ray reports it."""
    return p.avg(scope.cluster(c.NODE_CPU_UTILIZATION.name), by=(c.NAMESPACE,))


RECORDINGS: dict[c.Recording, RecordingBuilder] = {c.CPU_USAGE: _cluster_cpu}


def _cpu_above(scope: Scope, threshold: float | None) -> p.Expr:
    """The threshold is a ratio (0.85); the recorded CPU is in percent."""
    assert threshold is not None
    return p.gt(p.select(c.CPU_USAGE.name), threshold * 100)


def _node_cpu(scope: Scope, threshold: float | None, breach: bool) -> Scenario:
    assert threshold is not None
    percent = min(threshold * 100 * (1 + MARGIN), 100.0) if breach else threshold * 100
    labels = {c.NAMESPACE: scope.namespace}
    series = gauge(c.NODE_CPU_UTILIZATION.name, {**labels, "ip": "10.0.0.1"}, percent)
    return Scenario((series,), percent, labels, active_from=0)


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
    description="Mean CPU of the scoring cluster in {namespace} is {value}, above {threshold} for {for_}: "
    "autoscaling is off, at its maximum, or not keeping up.",
    value_format=ValueFormat.PERCENT_POINTS,
    dashboard=uids.OPERATIONS,
    scenario=_node_cpu,
)

ALERTS = (CPU_USAGE,)

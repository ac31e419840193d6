"""Resource: mean CPU of the scoring cluster above 85 % for 10 minutes (seed §2.A, §4 "Ressource").

The autoscaler should act well before this; the alert says it did not (disabled, at max, or ineffective).
"""

from __future__ import annotations

from dashboards_src import uids
from rules_src.alert import AlertSpec, Category, Scenario, Scope, Severity, Unit, ValueFormat
from rules_src.alerts.scenarios import gauge
from serving import contract as c

CPU_THRESHOLD = 0.85  # "Utilisation CPU > 85% pendant 10 minutes"
CPU_FOR = "10m"


def _node_cpu(scope: Scope, threshold: float | None, breach: bool) -> Scenario:
    assert threshold is not None
    percent = min(threshold * 100 + 5, 100.0) if breach else threshold * 100
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
    expr="{{ c.CPU_USAGE.name }} > {{ (threshold * 100) | num }}",
    summary="Scoring cluster CPU above {threshold} for {for_}",
    description="Mean CPU of the scoring cluster in {namespace} is {value}, above {threshold} for {for_}: "
    "autoscaling is off, at its maximum, or not keeping up.",
    value_format=ValueFormat.PERCENT_POINTS,
    dashboard=uids.OPERATIONS,
    scenario=_node_cpu,
)

ALERTS = (CPU_USAGE,)

"""Latency: p99 above 1 s pages (P0); p95 above 500 ms for 5 minutes warns (seed §2.A, §4).

Thresholds must be bucket boundaries of Ray Serve's latency histogram so that the quantile is exact.
"""

from __future__ import annotations

from dashboards_src import uids
from rules_src.alert import AlertSpec, Category, Scenario, ScenarioBuilder, Scope, Severity, Unit, ValueFormat
from rules_src.alerts.scenarios import latency_quantile
from serving import contract as c

P99_THRESHOLD = 1.0  # seconds: "Latence p99 > 1s"
P99_FOR = "2m"
P95_THRESHOLD = 0.5  # seconds: "p95 > 500 ms pendant 5 minutes"
P95_FOR = "5m"
BUCKET_BOUNDARIES = tuple(ms / 1000 for ms in c.LATENCY_BUCKETS_MS[:-1])


def _quantile(quantile: float) -> ScenarioBuilder:
    def build(scope: Scope, threshold: float | None, breach: bool) -> Scenario:
        assert threshold is not None
        return latency_quantile(scope.scoring_labels, quantile, threshold, breach)

    return build


LATENCY_P99 = AlertSpec(
    name="LatencyP99Critical",
    family="latency",
    service="scoring",
    category=Category.URGENT,
    severity=Severity.CRITICAL,
    unit=Unit.SECONDS,
    threshold=P99_THRESHOLD,
    for_=P99_FOR,
    expr="{{ c.LATENCY_P99.name }} > {{ threshold | num }}",
    summary="p99 latency above {threshold}",
    description="p99 latency of {application} in {namespace} is {value}, above {threshold} for {for_}.",
    value_format=ValueFormat.DURATION,
    dashboard=uids.OPERATIONS,
    scenario=_quantile(0.99),
    threshold_choices=BUCKET_BOUNDARIES,
)

LATENCY_P95 = AlertSpec(
    name="LatencyP95High",
    family="latency",
    service="scoring",
    category=Category.SERVICE,
    severity=Severity.WARNING,
    unit=Unit.SECONDS,
    threshold=P95_THRESHOLD,
    for_=P95_FOR,
    expr="{{ c.LATENCY_P95.name }} > {{ threshold | num }}",
    summary="p95 latency above {threshold}",
    description="p95 latency of {application} in {namespace} is {value}, above {threshold} for {for_}.",
    value_format=ValueFormat.DURATION,
    dashboard=uids.OPERATIONS,
    scenario=_quantile(0.95),
    threshold_choices=BUCKET_BOUNDARIES,
)

ALERTS = (LATENCY_P99, LATENCY_P95)

"""Latency: p99 above 1 s pages (P0); p95 above 500 ms for 5 minutes warns (seed §2.A, §4).

Thresholds must be bucket boundaries of Ray Serve's latency histogram so that the quantile is exact.
"""

from __future__ import annotations

from conventions import contract as c
from conventions import dashboard_uids as uids
from conventions import promql as p
from conventions.routing import Category, Severity
from rules_src.alert import (
    AlertSpec,
    RecordingBuilder,
    Scenario,
    ScenarioBuilder,
    Scope,
    Unit,
    ValueFormat,
    recorded_above,
)
from rules_src.alerts.scenarios import latency_quantile

P99_THRESHOLD = 1.0  # seconds: "Latence p99 > 1s"
P99_FOR = "2m"
P95_THRESHOLD = 0.5  # seconds: "p95 > 500 ms pendant 5 minutes"
P95_FOR = "5m"
BUCKET_BOUNDARIES = tuple(ms / 1000 for ms in c.LATENCY_BUCKETS_MS[:-1])
WINDOW = "1m"
MS_PER_SECOND = 1000  # Ray Serve's histogram is in milliseconds; the recorded quantiles are in seconds


def _recorded_quantile(quantile: float) -> RecordingBuilder:
    """Request latency at `quantile`, in seconds, interpolated within the histogram's millisecond buckets."""

    def build(scope: Scope) -> p.Expr:
        buckets = p.rate(scope.scoring(c.HTTP_LATENCY_MS.bucket), WINDOW)
        per_bucket = p.sum(buckets, by=(*p.SERVICE, c.LE))
        return p.div(p.histogram_quantile(quantile, per_bucket), MS_PER_SECOND)

    return build


RECORDINGS: dict[c.Recording, RecordingBuilder] = {
    c.LATENCY_P50: _recorded_quantile(0.5),
    c.LATENCY_P95: _recorded_quantile(0.95),
    c.LATENCY_P99: _recorded_quantile(0.99),
}


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
    expr=recorded_above(c.LATENCY_P99),
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
    category=Category.SERVICE_HEALTH,
    severity=Severity.WARNING,
    unit=Unit.SECONDS,
    threshold=P95_THRESHOLD,
    for_=P95_FOR,
    expr=recorded_above(c.LATENCY_P95),
    summary="p95 latency above {threshold}",
    description="p95 latency of {application} in {namespace} is {value}, above {threshold} for {for_}.",
    value_format=ValueFormat.DURATION,
    dashboard=uids.OPERATIONS,
    scenario=_quantile(0.95),
    threshold_choices=BUCKET_BOUNDARIES,
)

ALERTS = (LATENCY_P99, LATENCY_P95)

"""Latency: p99 of the scoring route above 1 s pages (P0); its p95 above 500 ms for 5 minutes warns (seed
§2.A, §4); p99 of the batch route above 5 s for 5 minutes warns.

Each quantile is of one route. Mixed together, the batch route (many applications per request) would page
as a slow API, and health checks and /model reads would hide a slow /predict under their fast answers.
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
BATCH_P99_THRESHOLD = 5.0  # seconds: a batch scores up to serving.batching's size of applications at once
BATCH_P99_FOR = "5m"
BUCKET_BOUNDARIES = tuple(ms / 1000 for ms in c.LATENCY_BUCKETS_MS[:-1])
WINDOW = "1m"
MS_PER_SECOND = 1000  # Ray Serve's histogram is in milliseconds; the recorded quantiles are in seconds


def _recorded_quantile(quantile: float, route: str) -> RecordingBuilder:
    """Latency of `route` at `quantile`, in seconds, interpolated within the histogram's millisecond buckets."""

    def build(scope: Scope) -> p.Expr:
        buckets = p.rate(scope.scoring(c.HTTP_LATENCY_MS.bucket, p.equals(c.ROUTE, route)), WINDOW)
        per_bucket = p.sum(buckets, by=(*p.SERVICE, c.LE))
        return p.div(p.histogram_quantile(quantile, per_bucket), MS_PER_SECOND)

    return build


RECORDINGS: dict[c.Recording, RecordingBuilder] = {
    c.LATENCY_P50: _recorded_quantile(0.5, c.SCORING_ROUTE),
    c.LATENCY_P95: _recorded_quantile(0.95, c.SCORING_ROUTE),
    c.LATENCY_P99: _recorded_quantile(0.99, c.SCORING_ROUTE),
    c.BATCH_LATENCY_P99: _recorded_quantile(0.99, c.BATCH_ROUTE),
}
_OTHER_ROUTE = {c.SCORING_ROUTE: c.BATCH_ROUTE, c.BATCH_ROUTE: c.SCORING_ROUTE}


def _quantile(quantile: float, route: str) -> ScenarioBuilder:
    def build(scope: Scope, threshold: float | None, breach: bool) -> Scenario:
        assert threshold is not None
        return latency_quantile(scope.scoring_labels, quantile, threshold, breach, route, _OTHER_ROUTE[route])

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
    summary=f"p99 latency of {c.SCORING_ROUTE} above {{threshold}}",
    description=f"p99 latency of {c.SCORING_ROUTE} on {{application}} in {{namespace}} is {{value}}, above "
    "{threshold} for {for_}.",
    value_format=ValueFormat.DURATION,
    dashboard=uids.OPERATIONS,
    scenario=_quantile(0.99, c.SCORING_ROUTE),
    impact="One scoring request in a hundred takes more than {threshold}: callers with tight timeouts fail, and "
    "the p95 warning of the same family is muted while this page fires.",
    causes=(
        "Replicas are saturated: ongoing requests per replica far above the autoscaling target, and "
        "autoscaling is at maxReplicas or waiting on its upscale delay.",
        "CPU throttling on the worker pods (requests equal limits) under a traffic burst.",
        "Batch traffic on /predict/batch takes the replicas' time from single requests.",
        "A slow dependency on the request path, or a new model version that is slower to predict.",
    ),
    actions=(
        "Compare the latency with the ongoing requests per replica: does latency follow the load?",
        "Check the desired replicas: if they equal serving.autoscaling.maxReplicas, raise it or add "
        "worker nodes.",
        "Look at BatchLatencyP99High and the batch route's traffic: shift batch jobs off-peak.",
        "If it started with a rollout, roll back the model or image.",
    ),
    related=(c.AUTOSCALING_TOTAL_REQUESTS.name, c.AUTOSCALING_DESIRED_REPLICAS.name),
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
    summary=f"p95 latency of {c.SCORING_ROUTE} above {{threshold}}",
    description=f"p95 latency of {c.SCORING_ROUTE} on {{application}} in {{namespace}} is {{value}}, above "
    "{threshold} for {for_}.",
    value_format=ValueFormat.DURATION,
    dashboard=uids.OPERATIONS,
    scenario=_quantile(0.95, c.SCORING_ROUTE),
    impact="One scoring request in twenty takes more than {threshold}: the service is slower than the seed's "
    "target, and callers feel it; left alone it becomes LatencyP99Critical.",
    causes=(
        "Load above what the current replicas handle, with autoscaling slow to add more (upscaleDelay) or "
        "at its maximum.",
        "The worker pods' CPU is high (see CpuUsageHigh) or throttled.",
        "A slower model version was rolled out.",
    ),
    actions=(
        "Compare the latency with the ongoing requests per replica and the CPU of the worker pods.",
        "Check the autoscaler: target and desired replicas against serving.autoscaling.maxReplicas.",
        "Compare the model version served with the previous one's latency.",
    ),
    related=(c.AUTOSCALING_TOTAL_REQUESTS.name, c.AUTOSCALING_DESIRED_REPLICAS.name),
    threshold_choices=BUCKET_BOUNDARIES,
)

BATCH_LATENCY_P99 = AlertSpec(
    name="BatchLatencyP99High",
    family="batch-latency",
    service="scoring",
    category=Category.SERVICE_HEALTH,
    severity=Severity.WARNING,
    unit=Unit.SECONDS,
    threshold=BATCH_P99_THRESHOLD,
    for_=BATCH_P99_FOR,
    expr=recorded_above(c.BATCH_LATENCY_P99),
    summary=f"p99 latency of {c.BATCH_ROUTE} above {{threshold}}",
    description=f"p99 latency of {c.BATCH_ROUTE} on {{application}} in {{namespace}} is {{value}}, above "
    "{threshold} for {for_}: batch callers wait, and their share of the replicas slows single scoring.",
    value_format=ValueFormat.DURATION,
    dashboard=uids.OPERATIONS,
    scenario=_quantile(0.99, c.BATCH_ROUTE),
    impact="Batch scoring calls take more than {threshold} at p99: batch callers wait or time out, and the "
    "replicas they occupy slow single scoring too.",
    causes=(
        "Batches larger than usual (up to serving.batching's size) or more of them at once.",
        "Replicas saturated by the single-request traffic at the same time.",
        "A slower model version: batch latency scales with the model's predict time.",
    ),
    actions=(
        "Is the single route's p99 also up (shared capacity), or only the batch route's?",
        "Ask the batch caller about its batch sizes and schedule; spread or shrink the batches.",
        "Add replicas (serving.autoscaling.maxReplicas) if both routes are slow.",
    ),
    related=(c.HTTP_REQUESTS.name,),
    threshold_choices=BUCKET_BOUNDARIES,
)

ALERTS = (LATENCY_P99, LATENCY_P95, BATCH_LATENCY_P99)

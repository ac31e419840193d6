"""Errors: the API error rate above 5 % pages (P0); 5xx above 1 % over one minute warns (seed §2.A, §4)."""

from __future__ import annotations

from dashboards_src import uids
from rules_src.alert import AlertSpec, Category, Scenario, Scope, Severity, Unit, ValueFormat
from rules_src.alerts.scenarios import http_requests, nudge

API_ERROR_RATE_THRESHOLD = 0.05  # P0: "Taux d'erreur API > 5%"
API_ERROR_RATE_FOR = "1m"
HTTP_5XX_THRESHOLD = 0.01  # "Taux > 1% des requêtes sur 1 minute"
HTTP_5XX_FOR = "1m"


def _server_errors(scope: Scope, threshold: float | None, breach: bool) -> Scenario:
    assert threshold is not None
    return http_requests(scope.scoring_labels, "500", nudge(threshold, breach))


API_ERROR_RATE = AlertSpec(
    name="ApiErrorRateCritical",
    family="errors",
    service="scoring",
    category=Category.URGENT,
    severity=Severity.CRITICAL,
    unit=Unit.RATIO,
    threshold=API_ERROR_RATE_THRESHOLD,
    for_=API_ERROR_RATE_FOR,
    expr="{{ c.API_ERROR_RATE.name }} > {{ threshold | num }}",
    summary="API error rate above {threshold}",
    description="{value} of requests to {application} in {namespace} failed (4xx or 5xx) over the last "
    "minute, above {threshold} for {for_}.",
    value_format=ValueFormat.PERCENT,
    dashboard=uids.OPERATIONS,
    scenario=_server_errors,
)

HTTP_5XX = AlertSpec(
    name="Http5xxRateHigh",
    family="errors",
    service="scoring",
    category=Category.SERVICE,
    severity=Severity.WARNING,
    unit=Unit.RATIO,
    threshold=HTTP_5XX_THRESHOLD,
    for_=HTTP_5XX_FOR,
    expr="{{ c.ERROR_RATE_5XX.name }} > {{ threshold | num }}",
    summary="5xx rate above {threshold}",
    description="{value} of requests to {application} in {namespace} answered 5xx over the last minute, "
    "above {threshold} for {for_}.",
    value_format=ValueFormat.PERCENT,
    dashboard=uids.OPERATIONS,
    scenario=_server_errors,
)

ALERTS = (API_ERROR_RATE, HTTP_5XX)

"""Errors: the API error rate above 5 % pages (P0); 5xx above 1 % over one minute warns (seed §2.A, §4)."""

from __future__ import annotations

from conventions import contract as c
from conventions import dashboard_uids as uids
from conventions import promql as p
from conventions.routing import Category, Severity
from rules_src.alert import AlertSpec, RecordingBuilder, Scenario, Scope, Unit, ValueFormat, recorded_above
from rules_src.alerts.scenarios import http_requests, nudge

API_ERROR_RATE_THRESHOLD = 0.05  # P0: "Taux d'erreur API > 5%"
API_ERROR_RATE_FOR = "1m"
HTTP_5XX_THRESHOLD = 0.01  # "Taux > 1% des requêtes sur 1 minute"
HTTP_5XX_FOR = "1m"
WINDOW = "1m"  # "sur 1 minute"


def _requests(scope: Scope, *matchers: p.Matcher) -> p.Expr:
    """Requests per second to the service, of those matching `matchers`."""
    return p.sum(p.rate(scope.scoring(c.HTTP_REQUESTS.name, *matchers), WINDOW), by=p.SERVICE)


def _share(status: str) -> RecordingBuilder:
    """Share of requests whose status matches `status`; 0 (not absent) while none do, so that a quiet
    error rate reads 0 rather than no data."""

    def build(scope: Scope) -> p.Expr:
        matching, total = _requests(scope, p.matches(c.STATUS_CODE, status)), _requests(scope)
        return p.div(p.or_(matching, p.mul(total, 0), multiline=True), total, multiline=True)

    return build


RECORDINGS: dict[c.Recording, RecordingBuilder] = {
    c.REQUEST_RATE: _requests,
    c.ERROR_RATE_5XX: _share("5.."),
    c.API_ERROR_RATE: _share("[45].."),
}


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
    expr=recorded_above(c.API_ERROR_RATE),
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
    category=Category.SERVICE_HEALTH,
    severity=Severity.WARNING,
    unit=Unit.RATIO,
    threshold=HTTP_5XX_THRESHOLD,
    for_=HTTP_5XX_FOR,
    expr=recorded_above(c.ERROR_RATE_5XX),
    summary="5xx rate above {threshold}",
    description="{value} of requests to {application} in {namespace} answered 5xx over the last minute, "
    "above {threshold} for {for_}.",
    value_format=ValueFormat.PERCENT,
    dashboard=uids.OPERATIONS,
    scenario=_server_errors,
)

ALERTS = (API_ERROR_RATE, HTTP_5XX)

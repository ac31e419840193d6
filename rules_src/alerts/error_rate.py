"""Errors: server errors above 5 % page (P0); 5xx above 1 % over one minute warns (seed §2.A, §4); a surge
of client errors (4xx) warns without paging.

The seed's one error metric is `error_rate_5xx`, and its P0 "taux d'erreur API" reads as server errors: a
client sending bad payloads gets 422s and must not page, nor, through the family inhibition, mute the 5xx
warning. A 4xx surge is its own family, so nothing it does mutes or is muted by the server-error alerts.
"""

from __future__ import annotations

from conventions import contract as c
from conventions import dashboard_uids as uids
from conventions import promql as p
from conventions.routing import Category, Severity
from rules_src.alert import (
    AlertSpec,
    ExprBuilder,
    RecordingBuilder,
    Scenario,
    ScenarioBuilder,
    Scope,
    Unit,
    ValueFormat,
)
from rules_src.alerts.scenarios import http_requests, nudge, quiet_hours

API_ERROR_RATE_THRESHOLD = 0.05  # P0: "Taux d'erreur API > 5%"
API_ERROR_RATE_FOR = "1m"
HTTP_5XX_THRESHOLD = 0.01  # "Taux > 1% des requêtes sur 1 minute"
HTTP_5XX_FOR = "1m"
CLIENT_ERROR_THRESHOLD = 0.10  # a tenth of requests refused as malformed: a client or a contract broke
CLIENT_ERROR_FOR = "5m"
WINDOW = "1m"  # "sur 1 minute"


def _requests(scope: Scope, *matchers: p.Matcher) -> p.Expr:
    """Requests per second to the service, of those matching `matchers`; health-check probes are not traffic."""
    requests = scope.scoring(c.HTTP_REQUESTS.name, p.differs(c.ROUTE, c.HEALTH_CHECK_ROUTE), *matchers)
    return p.sum(p.rate(requests, WINDOW), by=p.SERVICE)


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
    c.CLIENT_ERROR_RATE: _share("4.."),
}


def _ratio_above(recording: c.Recording) -> ExprBuilder:
    """`recording > threshold`, only while the service takes at least the stack's minimum request rate."""

    def build(scope: Scope, threshold: float | None) -> p.Expr:
        assert threshold is not None
        busy = p.ge(p.select(c.REQUEST_RATE.name), scope.min_request_rate)
        return p.and_(p.gt(p.select(recording.name), threshold), busy)

    return build


def _answered(status: str) -> ScenarioBuilder:
    def build(scope: Scope, threshold: float | None, breach: bool) -> Scenario:
        assert threshold is not None
        return http_requests(scope.scoring_labels, status, nudge(threshold, breach))

    return build


def _answered_at_night(status: str) -> ScenarioBuilder:
    def build(scope: Scope, threshold: float | None, breach: bool) -> Scenario | None:
        assert threshold is not None
        if scope.min_request_rate <= 0:
            return None
        return quiet_hours(scope.scoring_labels, status, threshold, scope.min_request_rate)

    return build


API_ERROR_RATE = AlertSpec(
    name="ApiErrorRateCritical",
    family="errors",
    service="scoring",
    category=Category.URGENT,
    severity=Severity.CRITICAL,
    unit=Unit.RATIO,
    threshold=API_ERROR_RATE_THRESHOLD,
    for_=API_ERROR_RATE_FOR,
    expr=_ratio_above(c.ERROR_RATE_5XX),
    summary="API error rate (5xx) above {threshold}",
    description="{value} of requests to {application} in {namespace} failed with a server error (5xx) over "
    "the last minute, above {threshold} for {for_}.",
    value_format=ValueFormat.PERCENT,
    dashboard=uids.OPERATIONS,
    scenario=_answered("500"),
    impact="More than {threshold} of scoring requests fail with a server error: applicants get no decision, and "
    "callers retrying add load. The 5xx warning of the same service is muted while this page fires.",
    causes=(
        "A new model or code version raises on some inputs (a feature the model does not expect, a NaN "
        "path).",
        "Replicas are overloaded: requests time out at Serve's proxy (maxOngoingRequests reached) and "
        "return 503.",
        "The prediction log's store fails and the request path is affected, or a dependency the replicas "
        "read is down.",
        "A replica is crash-looping and Serve's proxy answers 500 for the requests it held.",
    ),
    actions=(
        "Split the requests by route and status code (panels above): which route, and which code (500, "
        "503, 504)?",
        "Read the replicas' logs on the worker pods (`kubectl -n {namespace} logs -l "
        "ray.io/node-type=worker`) for the traceback.",
        "If it started with a rollout, roll back the RayService to the previous image or model version.",
        "If it is 503s under load, raise serving.autoscaling.maxReplicas or add worker capacity.",
    ),
    related=(c.HTTP_REQUESTS.name,),
    low_traffic=_answered_at_night("500"),
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
    expr=_ratio_above(c.ERROR_RATE_5XX),
    summary="5xx rate above {threshold}",
    description="{value} of requests to {application} in {namespace} answered 5xx over the last minute, "
    "above {threshold} for {for_}.",
    value_format=ValueFormat.PERCENT,
    dashboard=uids.OPERATIONS,
    scenario=_answered("500"),
    impact="Between {threshold} and the page's threshold of requests fail with a 5xx: some applicants get no "
    "decision. It is the early sign of what becomes ApiErrorRateCritical.",
    causes=(
        "A partial fault: one replica or one node misbehaves while the others answer.",
        "Occasional timeouts (504) or overload (503) at peak traffic, before autoscaling catches up.",
        "A model or code version that raises on a rare kind of input.",
    ),
    actions=(
        "Split the requests by route and status code (panels above): which code, which route, since when?",
        "Compare with the replicas and the ongoing requests per replica: errors that follow load point at "
        "capacity.",
        "Read the worker pods' logs for tracebacks; note the request ids of failing calls.",
    ),
    related=(c.HTTP_REQUESTS.name, c.AUTOSCALING_TOTAL_REQUESTS.name),
    low_traffic=_answered_at_night("500"),
)

CLIENT_ERRORS = AlertSpec(
    name="ClientErrorRateHigh",
    family="client-errors",
    service="scoring",
    category=Category.SERVICE_HEALTH,
    severity=Severity.WARNING,
    unit=Unit.RATIO,
    threshold=CLIENT_ERROR_THRESHOLD,
    for_=CLIENT_ERROR_FOR,
    expr=_ratio_above(c.CLIENT_ERROR_RATE),
    summary="Client error rate (4xx) above {threshold}",
    description="{value} of requests to {application} in {namespace} were refused (4xx) over the last minute, "
    "above {threshold} for {for_}: a client is sending bad payloads, or the API contract changed under it.",
    value_format=ValueFormat.PERCENT,
    dashboard=uids.OPERATIONS,
    scenario=_answered("422"),
    impact="More than {threshold} of requests are refused as malformed (4xx, mostly 422): those applicants are "
    "not scored, because a caller sends bodies the API contract rejects. The service itself is healthy, "
    "so nobody is paged.",
    causes=(
        "A calling application released a new payload format (a renamed or missing feature, a string for "
        "a number).",
        "The scoring API's schema changed in a release (a new required field) and callers were not updated.",
        "A batch caller sends bodies over serving.maxRequestBytes (413) or without `Content-Type: "
        "application/json` (415).",
    ),
    actions=(
        "Split the requests by route and status code (panels above): which status (400, 413, 415, 422), "
        "which route?",
        "Reproduce with one failing body: the 422 answer lists each offending field (`loc`, `type`, `msg`).",
        "Tell the calling team which field breaks the contract (the service's `/openapi.json` describes "
        "it); roll back the API change if it was ours.",
    ),
    related=(c.HTTP_REQUESTS.name,),
    low_traffic=_answered_at_night("422"),
)

ALERTS = (API_ERROR_RATE, HTTP_5XX, CLIENT_ERRORS)

"""Availability: the scoring service has no healthy replica, or Prometheus sees none of its series (P0);
fewer healthy replicas than serving.autoscaling.minReplicas, or an application Serve does not report as
RUNNING (P0); and no traffic at an hour that had some the day before (warning; dev turns it off).

When the service is down, unscraped or idle, every ratio the other alerts read is NaN or absent, so none of
them can fire: these alerts read the service's own health gauges instead. Serve's controller sets one gauge
per replica, 1 while it is healthy; a failed scrape marks the series stale at once, so `absent` sees a dead
pod or a lost target as soon as Prometheus does. While ScoringServiceDown fires, Alertmanager mutes the other
availability alerts of the service (rules_src.alertmanager): they are its symptoms.
"""

from __future__ import annotations

from conventions import contract as c
from conventions import dashboard_uids as uids
from conventions import promql as p
from conventions.routing import Category, Severity
from rules_src.alert import AlertSpec, Scenario, Scope, Series, Unit, ValueFormat
from rules_src.alerts.scenarios import LATE_START, MARGIN, SAMPLE_SECONDS, gauge

DOWN_FOR = "2m"  # longer than a replica restart, short enough to page before the users do
BELOW_MINIMUM_FOR = "5m"  # a lost worker pod is rescheduled and its replica restarted well within this
NOT_RUNNING_FOR = "10m"  # longer than a rolling update (DEPLOYING), so only a stuck or failed one pages
TRAFFIC_STOPPED_FOR = "10m"
BASELINE = "1h"
SEASON = "1d"
"""The traffic a silent hour is compared with: the same hour the day before, so that a night compares with a
night. (A week would also match weekends, at the cost of a week-long generated test: promtool evaluates
every minute of it.)"""
_SEASON_SAMPLES = round((86400 + 3600) / SAMPLE_SECONDS) + 2
"""Samples of a traffic scenario that has flowed for a day and an hour."""
STEPS_AFTER_STOP = 120
"""Flat samples once the traffic stopped: 30 minutes, past TRAFFIC_STOPPED_FOR."""


def _no_healthy_replica(scope: Scope, threshold: float | None) -> p.Expr:
    """0 healthy replicas reported, or no health series at all (both labelled with the service)."""
    health = scope.scoring(c.REPLICAS_HEALTHY.name)
    return p.or_(p.eq(p.sum(health, by=p.SERVICE), 0), p.absent(health))


def _replicas(scope: Scope, threshold: float | None, breach: bool) -> Scenario:
    """Down: no health series at all (an unscraped or dead service). Up: two healthy replicas."""
    series = () if breach else _health(scope, (1, 1))
    return Scenario(series, 1 if breach else 0, dict(scope.scoring_labels), active_from=0)


def _health(scope: Scope, states: tuple[int, ...]) -> tuple[Series, ...]:
    """One health gauge per replica, 1 when healthy, 0 when not."""
    labels = {**scope.scoring_labels, c.DEPLOYMENT: "CreditScorer"}
    return tuple(
        gauge(c.REPLICAS_HEALTHY.name, {**labels, c.REPLICA: f"r{i}"}, s) for i, s in enumerate(states)
    )


def _below_minimum(scope: Scope, threshold: float | None) -> p.Expr:
    return p.lt(p.sum(scope.scoring(c.REPLICAS_HEALTHY.name), by=p.SERVICE), scope.min_replicas)


def _one_short(scope: Scope, threshold: float | None, breach: bool) -> Scenario:
    """minReplicas replicas of which one is unhealthy (fires), or all healthy (quiet)."""
    healthy = scope.min_replicas - 1 if breach else scope.min_replicas
    states = (1,) * healthy + (0,) * (scope.min_replicas - healthy)
    return Scenario(_health(scope, states), healthy, dict(scope.scoring_labels), active_from=0)


def _not_running(scope: Scope, threshold: float | None) -> p.Expr:
    return p.ne(scope.scoring(c.APPLICATION_STATUS.name), c.APPLICATION_RUNNING)


def _status(scope: Scope, threshold: float | None, breach: bool) -> Scenario:
    """UNHEALTHY (2) fires; RUNNING stays quiet."""
    status = 2 if breach else c.APPLICATION_RUNNING
    series = gauge(c.APPLICATION_STATUS.name, scope.scoring_labels, status)
    return Scenario((series,), status, dict(scope.scoring_labels), active_from=0)


def _traffic_stopped(scope: Scope, threshold: float | None) -> p.Expr:
    """No request over the last minute, while the same hour the day before had at least the stack's minimum
    request rate (any traffic at all when that minimum is 0)."""
    requests = scope.scoring(c.HTTP_REQUESTS.name, p.differs(c.ROUTE, c.HEALTH_CHECK_ROUTE))
    usual = p.sum(p.rate(requests, BASELINE, offset=SEASON), by=p.SERVICE)
    normal = p.ge(usual, scope.min_request_rate) if scope.min_request_rate > 0 else p.gt(usual, 0)
    return p.and_(p.eq(p.select(c.REQUEST_RATE.name), 0), normal)


def _silent_day(scope: Scope, threshold: float | None, breach: bool) -> Scenario:
    """A day and an hour of traffic, then none. Fires when that traffic was just above the minimum request
    rate; stays quiet when it was just under it (a service that is often idle)."""
    usual = scope.min_request_rate or 1.0
    per_step = usual * SAMPLE_SECONDS * (1 + MARGIN if breach else 1 - MARGIN)
    base = {**scope.scoring_labels, c.ROUTE: c.SCORING_ROUTE, c.METHOD: "POST", c.STATUS_CODE: "200"}
    total = per_step * _SEASON_SAMPLES
    values = f"{LATE_START}0+{per_step:g}x{_SEASON_SAMPLES} {total:g}x{STEPS_AFTER_STOP}"
    # The last increase is between samples _SEASON_SAMPLES and _SEASON_SAMPLES + 1 (the first is at one
    # interval): the minute's rate is 0 once its window no longer holds the former.
    last_moving = _SEASON_SAMPLES * SAMPLE_SECONDS
    silent_from = last_moving + 60 - SAMPLE_SECONDS
    return Scenario((Series(c.HTTP_REQUESTS.name, base, values),), 0, dict(scope.scoring_labels),
                    active_from=silent_from)  # fmt: skip


SCORING_DOWN = AlertSpec(
    name="ScoringServiceDown",
    family="availability",
    service="scoring",
    category=Category.URGENT,
    severity=Severity.CRITICAL,
    unit=Unit.NONE,
    threshold=None,
    for_=DOWN_FOR,
    expr=_no_healthy_replica,
    summary="The scoring service has no healthy replica",
    description="{application} in {namespace} has reported no healthy replica, or Prometheus has seen none "
    "of its series, for {for_}: credit applications are not being scored.",
    value_format=ValueFormat.NONE,
    dashboard=uids.OPERATIONS,
    scenario=_replicas,
    impact="No credit application is being scored: /predict and /predict/batch fail or time out, and nothing "
    "reaches the prediction log, so the next drift window is thinner too. Every ratio alert (errors, "
    "latency, refusals) is blind while this fires, and Alertmanager mutes the service's other "
    "availability alerts.",
    causes=(
        "The RayService's worker pods are not Ready: crash-looping (OOMKilled, the model artifact at "
        "model.artifactUri unreadable, an image pull error) or unschedulable (no node with the requested "
        "CPU and memory).",
        "The head pod restarted: Serve's controller lost its replicas while KubeRay recreates the cluster.",
        "Prometheus cannot scrape the Ray pods (the PodMonitor no longer selects them, or a NetworkPolicy "
        "blocks port 8080): the alert also fires when the health series are absent.",
        "A RayService upgrade replaced the cluster and the new one never became healthy.",
    ),
    actions=(
        "`kubectl -n {namespace} get rayservice,raycluster,pods`: are the worker pods Running and Ready? "
        "Read `kubectl -n {namespace} describe pod` events and `kubectl logs --previous` for an OOM kill "
        "or a model load error.",
        "Open Prometheus's Targets page: if the scoring pods' targets are down while the pods are Ready, "
        "the scrape is broken, not the service.",
        "Call `/readyz` through the ingress: a 200 means the service answers and only the monitoring path "
        "is broken.",
        "If a RayService spec or a model version was just rolled out, roll back to the previous one.",
    ),
)

REPLICAS_BELOW_MINIMUM = AlertSpec(
    name="ScoringReplicasBelowMinimum",
    family="availability",
    service="scoring",
    category=Category.URGENT,
    severity=Severity.CRITICAL,
    unit=Unit.NONE,
    threshold=None,
    for_=BELOW_MINIMUM_FOR,
    expr=_below_minimum,
    summary="Fewer healthy scoring replicas than the minimum",
    description="{application} in {namespace} has {value} healthy replicas, fewer than its minimum, for {for_}: "
    "the service has lost the headroom it was sized with, and the next failure takes it down.",
    value_format=ValueFormat.NONE,
    dashboard=uids.OPERATIONS,
    scenario=_one_short,
    impact="Applications are still scored, but by fewer replicas than serving.autoscaling.minReplicas "
    "({min_replicas}): latency rises under load and the next lost replica or node can take the service "
    "down.",
    causes=(
        "A worker pod was evicted or its node drained, and the replacement is Pending (no room in the "
        "cluster).",
        "Replicas fail Serve's health check (the model cannot load, a replica crashed) and Serve keeps "
        "restarting them.",
        "The RayService's minReplicas is above what the worker group's maxReplicas or the cluster quota "
        "allows.",
    ),
    actions=(
        "`kubectl -n {namespace} get pods -o wide`: which worker pods are Pending or restarting, and on "
        "which nodes?",
        "Compare running, target and desired replicas (panels above): desired above running means the "
        "autoscaler asked and the cluster could not deliver.",
        "Check Serve's replica logs on the worker pods for the reason a replica is unhealthy.",
        "Free or add capacity (node pool size, quota); a stuck rollout can be rolled back.",
    ),
    related=(c.AUTOSCALING_DESIRED_REPLICAS.name,),
)

APPLICATION_NOT_RUNNING = AlertSpec(
    name="ScoringApplicationNotRunning",
    family="availability",
    service="scoring",
    category=Category.URGENT,
    severity=Severity.CRITICAL,
    unit=Unit.NONE,
    threshold=None,
    for_=NOT_RUNNING_FOR,
    expr=_not_running,
    summary="The scoring application is not running",
    description="Serve reports {application} in {namespace} with status {value} rather than RUNNING (6) for "
    "{for_}: a deployment failed, is stuck, or its replicas fail their health checks.",
    value_format=ValueFormat.NONE,
    dashboard=uids.OPERATIONS,
    scenario=_status,
    impact="Serve does not consider the scoring application RUNNING: a deployment failed or is stuck, so "
    "requests may be answered by an old version, partly, or not at all.",
    causes=(
        "A new Serve config (from the RayService's serveConfigV2) failed to deploy: the import "
        "`serving.app:build_app` raised, or the model at model.artifactUri could not be read.",
        "The replicas fail their health checks, so Serve marks the application UNHEALTHY.",
        "The deployment waits for resources it cannot get (DEPLOYING for longer than a rolling update "
        "takes).",
    ),
    actions=(
        "`kubectl -n {namespace} get rayservice -o yaml`: read `status.activeServiceStatus` and "
        "`pendingServiceStatus` for the application's status and message.",
        "Read Serve's controller log on the head pod (`/tmp/ray/session_latest/logs/serve/`) for the "
        "deploy error.",
        "Roll back the RayService's Serve config or image to the last version that ran.",
    ),
    related=(c.REPLICAS_HEALTHY.name,),
)

TRAFFIC_STOPPED = AlertSpec(
    name="ScoringTrafficStopped",
    family="availability",
    service="scoring",
    category=Category.SERVICE_HEALTH,
    severity=Severity.WARNING,
    unit=Unit.NONE,
    threshold=None,
    for_=TRAFFIC_STOPPED_FOR,
    expr=_traffic_stopped,
    summary="The scoring service receives no traffic",
    description="{application} in {namespace} has answered no request for {for_}, while it had traffic at "
    "this hour yesterday: callers cannot reach it (ingress, DNS, network policy) or stopped calling.",
    value_format=ValueFormat.NONE,
    dashboard=uids.OPERATIONS,
    scenario=_silent_day,
    impact="Nobody's applications reach the scoring service, while they did at this hour yesterday: credit "
    "decisions are stalled upstream, or callers fall back to another path without scoring.",
    causes=(
        "The ingress, DNS name or TLS certificate in front of Serve changed or expired.",
        "A NetworkPolicy change stopped the ingress controller reaching the scoring pods.",
        "The calling application is down, was redeployed pointing elsewhere, or its traffic was switched "
        "off on purpose.",
    ),
    actions=(
        "Call `/healthz` and `/predict` through the ingress from outside the cluster: does it answer?",
        "Check the ingress controller's logs and the scoring namespace's NetworkPolicies for a recent "
        "change.",
        "Ask the calling team whether traffic was stopped on purpose (a planned switch-off: silence the "
        "alert).",
    ),
)

ALERTS = (SCORING_DOWN, REPLICAS_BELOW_MINIMUM, APPLICATION_NOT_RUNNING, TRAFFIC_STOPPED)

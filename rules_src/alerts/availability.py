"""Availability: the scoring service has no healthy replica, or Prometheus sees none of its series (P0).

When the service is down, unscraped or idle, every ratio the other alerts read is NaN or absent, so none of
them can fire: this alert pages on the service's own health gauge instead. Serve's controller sets one gauge
per replica, 1 while it is healthy; a failed scrape marks the series stale at once, so `absent` sees a dead
pod or a lost target as soon as Prometheus does.
"""

from __future__ import annotations

from conventions import contract as c
from conventions import dashboard_uids as uids
from conventions import promql as p
from conventions.routing import Category, Severity
from rules_src.alert import AlertSpec, Scenario, Scope, Unit, ValueFormat
from rules_src.alerts.scenarios import gauge

DOWN_FOR = "2m"  # longer than a replica restart, short enough to page before the users do


def _no_healthy_replica(scope: Scope, threshold: float | None) -> p.Expr:
    """0 healthy replicas reported, or no health series at all (both labelled with the service)."""
    health = scope.scoring(c.REPLICAS_HEALTHY.name)
    return p.or_(p.eq(p.sum(health, by=p.SERVICE), 0), p.absent(health))


def _replicas(scope: Scope, threshold: float | None, breach: bool) -> Scenario:
    """Down: no health series at all (an unscraped or dead service). Up: two healthy replicas."""
    labels = {**scope.scoring_labels, c.DEPLOYMENT: "CreditScorer"}
    series = (
        () if breach else tuple(gauge(c.REPLICAS_HEALTHY.name, {**labels, c.REPLICA: r}, 1) for r in "ab")
    )
    return Scenario(series, 1 if breach else 0, dict(scope.scoring_labels), active_from=0)


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
)

ALERTS = (SCORING_DOWN,)

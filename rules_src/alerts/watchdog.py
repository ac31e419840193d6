"""Watchdog: always firing, so that a dead man's switch notices when alerting itself stops working."""

from __future__ import annotations

from conventions import dashboard_uids as uids
from conventions import promql as p
from conventions.routing import Category, Severity
from rules_src.alert import AlertSpec, Scenario, Scope, Unit, ValueFormat


def _heartbeat(scope: Scope, threshold: float | None) -> p.Expr:
    return p.vector(1)


def _always(scope: Scope, threshold: float | None, breach: bool) -> Scenario | None:
    return Scenario((), 1, {}, active_from=0) if breach else None


WATCHDOG = AlertSpec(
    name="Watchdog",
    family="watchdog",
    service="alerting",
    category=Category.WATCHDOG,
    severity=Severity.NONE,
    unit=Unit.NONE,
    threshold=None,
    for_="0m",
    expr=_heartbeat,
    summary="Alerting pipeline heartbeat",
    description="Always firing. If the dead man's switch stops receiving it, Prometheus or Alertmanager is down.",
    value_format=ValueFormat.NONE,
    dashboard=uids.OPERATIONS,
    scenario=_always,
    impact="Always firing, by design: it proves Prometheus evaluates rules and Alertmanager delivers. It says "
    "nothing about scoring; its absence at the dead man's switch does.",
    causes=(
        "If the dead man's switch reports it missing: Prometheus is down or not loading the rule file, or "
        "Alertmanager is down or cannot reach the switch.",
    ),
    actions=(
        "Do not silence it. If the switch reports it missing, check the Prometheus and Alertmanager pods "
        "in namespace {monitoring} and Prometheus's Alerts page.",
    ),
)

ALERTS = (WATCHDOG,)

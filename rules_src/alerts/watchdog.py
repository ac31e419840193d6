"""Watchdog: always firing, so that a dead man's switch notices when alerting itself stops working."""

from __future__ import annotations

from dashboards_src import uids
from rules_src.alert import AlertSpec, Category, Scenario, Scope, Severity, Unit, ValueFormat


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
    expr="vector(1)",
    summary="Alerting pipeline heartbeat",
    description="Always firing. If the dead man's switch stops receiving it, Prometheus or Alertmanager is down.",
    value_format=ValueFormat.NONE,
    dashboard=uids.OPERATIONS,
    scenario=_always,
)

ALERTS = (WATCHDOG,)

"""Prometheus rule groups for one stack: recording rules, then alerts by service, each alert carrying its
routing labels and, added in one pass, its runbook and dashboard links."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rules_src.alert import Alert
from rules_src.durations import duration_seconds
from rules_src.recording import recording_rules
from serving import contract as c

if TYPE_CHECKING:
    from infra.settings import Stack

_GROUP_OF_SERVICE = {
    "scoring": c.GROUP_SCORING_ALERTS,
    "drift": c.GROUP_DRIFT_ALERTS,
    "alerting": c.GROUP_META_ALERTS,
}


def runbook_url(stack: Stack, alert: Alert) -> str:
    return f"{str(stack.settings.alerting.runbook_base_url).rstrip('/')}/{alert.name}"


def dashboard_url(stack: Stack, alert: Alert) -> str:
    return f"{str(stack.settings.monitoring.grafana_url).rstrip('/')}/d/{alert.spec.dashboard}"


def alerting_rule(stack: Stack, alert: Alert) -> dict[str, Any]:
    rule: dict[str, Any] = {"alert": alert.name, "expr": alert.expr(stack.scope)}
    if duration_seconds(alert.for_) > 0:
        rule["for"] = alert.for_
    rule["labels"] = dict(sorted(alert.labels().items()))
    rule["annotations"] = {
        "summary": alert.summary(),
        "description": alert.description_template(),
        "runbook_url": runbook_url(stack, alert),
        "dashboard_url": dashboard_url(stack, alert),
    }
    return rule


def rule_groups(stack: Stack) -> list[dict[str, Any]]:
    """Every group of the stack's rule file; groups without rules are left out."""
    groups: dict[str, list[dict[str, Any]]] = {c.GROUP_RECORDING: list(recording_rules(stack.scope))}
    for name in _GROUP_OF_SERVICE.values():
        groups[name] = []
    for alert in stack.enabled_alerts:
        groups[_GROUP_OF_SERVICE[alert.spec.service]].append(alerting_rule(stack, alert))
    return [{"name": name, "rules": rules} for name, rules in groups.items() if rules]

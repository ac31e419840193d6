"""Prometheus rule groups for one stack: recording rules, then alerts by service, each alert carrying its
routing labels and, added in one pass, its runbook and dashboard links."""

from __future__ import annotations

from typing import Any

from conventions import contract as c
from rules_src.alert import Alert
from rules_src.recording import recording_rules
from rules_src.stack import Stack

_GROUP_OF_SERVICE = {
    "scoring": c.GROUP_SCORING_ALERTS,
    "drift": c.GROUP_DRIFT_ALERTS,
    "alerting": c.GROUP_META_ALERTS,
}


def runbook_url(stack: Stack, alert: Alert) -> str:
    return stack.settings.alerting.runbook_base_url.join(alert.name)


def dashboard_url(stack: Stack, alert: Alert) -> str:
    return stack.settings.monitoring.grafana_url.join("d", alert.spec.dashboard)


def alerting_rule(stack: Stack, alert: Alert) -> dict[str, Any]:
    rule: dict[str, Any] = {"alert": alert.name, "expr": alert.expr(stack.scope)}
    if alert.for_.seconds > 0:
        rule["for"] = str(alert.for_)
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

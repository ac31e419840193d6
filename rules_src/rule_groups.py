"""Prometheus rule groups for one stack: recording rules, then alerts by service, each alert carrying its
routing labels and, added in one pass, its runbook and dashboard links."""

from __future__ import annotations

from typing import Any

from conventions import contract as c
from rules_src.alert import Alert
from rules_src.recording import recording_rules
from rules_src.stack import Alerts

_GROUP_OF_SERVICE = {
    "scoring": c.GROUP_SCORING_ALERTS,
    "drift": c.GROUP_DRIFT_ALERTS,
    "alerting": c.GROUP_META_ALERTS,
}


def alerting_rule(alert: Alert, alerts: Alerts) -> dict[str, Any]:
    rule: dict[str, Any] = {"alert": alert.name, "expr": alert.expr(alerts.scope)}
    if alert.for_.seconds > 0:
        rule["for"] = str(alert.for_)
    rule["labels"] = dict(sorted(alert.labels().items()))
    rule["annotations"] = {
        "summary": alert.summary(),
        "description": alert.description_template(),
        "runbook_url": alerts.links.runbook(alert),
        "dashboard_url": alerts.links.dashboard(alert),
    }
    return rule


def rule_groups(alerts: Alerts) -> list[dict[str, Any]]:
    """Every group of the stack's rule file; groups without rules are left out."""
    groups: dict[str, list[dict[str, Any]]] = {c.GROUP_RECORDING: list(recording_rules(alerts.scope))}
    for name in _GROUP_OF_SERVICE.values():
        groups[name] = []
    for alert in alerts.enabled:
        groups[_GROUP_OF_SERVICE[alert.spec.service]].append(alerting_rule(alert, alerts))
    return [{"name": name, "rules": rules} for name, rules in groups.items() if rules]

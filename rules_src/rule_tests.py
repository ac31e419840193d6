"""promtool unit tests generated from the same resolved alerts as the rules.

For every alert: series just past its threshold fire once `for` has elapsed, with the expected labels and
annotations, and not one evaluation earlier; series just short of the threshold never fire. A threshold
or `for` change in the settings changes these tests with it.
"""

from __future__ import annotations

import math
from typing import Any

from conventions.durations import format_duration
from rules_src.alert import Alert
from rules_src.rule_groups import rule_groups
from rules_src.stack import Alerts, Links

EVALUATION_INTERVAL = 60.0
QUIET_MARGIN = 300.0
"""How long past the firing time a quiet scenario is checked."""


def _tick(seconds: float) -> float:
    """The first evaluation at or after `seconds`."""
    return math.ceil(seconds / EVALUATION_INTERVAL) * EVALUATION_INTERVAL


def rule_tests(alerts: Alerts, rule_file: str) -> dict[str, Any]:
    tests = [test for alert in alerts.enabled for test in _alert_tests(alerts, alert)]
    return {
        "rule_files": [rule_file],
        "evaluation_interval": format_duration(EVALUATION_INTERVAL),
        # promtool otherwise evaluates groups in random order; recording rules must come first.
        "group_eval_order": [group["name"] for group in rule_groups(alerts)],
        "tests": tests,
    }


def _alert_tests(alerts: Alerts, alert: Alert) -> list[dict[str, Any]]:
    scope = alerts.scope
    firing = alert.spec.scenario(scope, alert.threshold, True)
    if firing is None:
        raise ValueError(f"{alert.name} has no firing scenario")
    fires_at = _tick(firing.active_from) + _tick(alert.for_.seconds)
    checks: list[dict[str, Any]] = []
    if fires_at >= EVALUATION_INTERVAL:
        checks.append(_check(alert, fires_at - EVALUATION_INTERVAL, []))
    labels = {**firing.labels, **alert.labels()}
    value = firing.value + firing.slope * fires_at
    expected = {
        "exp_labels": dict(sorted(labels.items())),
        "exp_annotations": _annotations(alerts.links, alert, value, labels),
    }
    checks.append(_check(alert, fires_at, [expected]))
    where = f"past {alert.threshold_text()}" if alert.threshold is not None else "when its condition holds"
    tests = [_test(f"{alert.name} fires {where} after {alert.for_}", firing.interval, firing.series, checks)]
    quiet = alert.spec.scenario(scope, alert.threshold, False)
    if quiet is not None:
        check = _check(alert, fires_at + QUIET_MARGIN, [])
        where = f"just short of {alert.threshold_text()}" if alert.threshold is not None else "otherwise"
        tests.append(_test(f"{alert.name} stays quiet {where}", quiet.interval, quiet.series, [check]))
    night = alert.spec.low_traffic(scope, alert.threshold, True) if alert.spec.low_traffic else None
    if night is not None:
        check = _check(alert, fires_at + QUIET_MARGIN, [])
        name = f"{alert.name} stays quiet below {scope.min_request_rate:g} req/s, even at {night.value:.0%}"
        tests.append(_test(name, night.interval, night.series, [check]))
    return tests


def _annotations(links: Links, alert: Alert, value: float, labels: dict[str, str]) -> dict[str, str]:
    return {
        "summary": alert.summary(),
        "description": alert.description_for(value, labels),
        "runbook_url": links.runbook(alert),
        "dashboard_url": links.dashboard(alert),
    }


def _check(alert: Alert, at: float, expected: list[dict[str, Any]]) -> dict[str, Any]:
    return {"eval_time": format_duration(at), "alertname": alert.name, "exp_alerts": expected}


def _test(name: str, interval: str, series: Any, checks: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": name,
        "interval": interval,
        "input_series": [s.promtool() for s in series],
        "alert_rule_test": checks,
    }

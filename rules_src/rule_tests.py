"""promtool unit tests generated from the same resolved alerts as the rules.

For every alert: series just past its threshold fire once `for` has elapsed, with the expected labels and
annotations, and not one evaluation earlier; series just short of the threshold never fire. A threshold
or `for` change in the settings changes these tests with it. Alerts that take days to fire are tested in a
second file, evaluated less often.
"""

from __future__ import annotations

import math
from typing import Any

from conventions.durations import duration_seconds, format_duration
from rules_src.alert import Alert, Scenario
from rules_src.rule_groups import rule_groups
from rules_src.stack import Alerts, Links

EVALUATION_INTERVAL = 60.0
LONG_EVALUATION_INTERVAL = 900.0
LONG_AFTER = 6 * 3600.0
"""An alert whose scenario fires later than this (a day-old baseline, a grace of days) is tested in the long
file, evaluated every LONG_EVALUATION_INTERVAL: promtool evaluates every rule at every step, and a week of
minutes costs a minute of promtool per test."""
QUIET_MARGIN = 300.0
"""How long past the firing time a quiet scenario is checked."""


def _tick(seconds: float, interval: float) -> float:
    """The first evaluation at or after `seconds`."""
    return math.ceil(seconds / interval) * interval


def rule_tests(alerts: Alerts, rule_file: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The promtool test files of a stack's rules: evaluated every minute, and, for the alerts whose scenario
    takes longer than LONG_AFTER to fire, every LONG_EVALUATION_INTERVAL."""
    short: list[dict[str, Any]] = []
    long: list[dict[str, Any]] = []
    for alert in alerts.enabled:
        firing = alert.spec.scenario(alerts.scope, alert.threshold, True)
        if firing is None:
            raise ValueError(f"{alert.name} has no firing scenario")
        if _fires_at(alert, firing, EVALUATION_INTERVAL) > LONG_AFTER:
            long.extend(_alert_tests(alerts, alert, firing, LONG_EVALUATION_INTERVAL))
        else:
            short.extend(_alert_tests(alerts, alert, firing, EVALUATION_INTERVAL))
    return _test_file(alerts, rule_file, EVALUATION_INTERVAL, short), _test_file(
        alerts, rule_file, LONG_EVALUATION_INTERVAL, long
    )


def _test_file(
    alerts: Alerts, rule_file: str, interval: float, tests: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "rule_files": [rule_file],
        "evaluation_interval": format_duration(interval),
        # promtool otherwise evaluates groups in random order; recording rules must come first.
        "group_eval_order": [group["name"] for group in rule_groups(alerts)],
        "tests": tests,
    }


def _fires_at(alert: Alert, firing: Scenario, interval: float) -> float:
    """The evaluation at which the firing scenario's alert fires, with evaluations every `interval`."""
    holds_from = _first_sample(firing) + firing.active_from
    return _tick(holds_from, interval) + _tick(alert.for_.seconds, interval)


def _alert_tests(alerts: Alerts, alert: Alert, firing: Scenario, interval: float) -> list[dict[str, Any]]:
    """The alert's tests at evaluations every `interval`."""
    scope = alerts.scope
    fires_at = _fires_at(alert, firing, interval)
    checks: list[dict[str, Any]] = []
    if fires_at >= interval:
        checks.append(_check(alert, fires_at - interval, []))
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


def _first_sample(scenario: Scenario) -> float:
    """When the scenario's first sample is, in seconds: series may start with missing samples (`_`)."""
    if not scenario.series:
        return 0.0
    blanks = min(_leading_blanks(series.values) for series in scenario.series)
    return blanks * duration_seconds(scenario.interval)


def _leading_blanks(values: str) -> int:
    tokens = values.split()
    return next((i for i, token in enumerate(tokens) if token != "_"), len(tokens))


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

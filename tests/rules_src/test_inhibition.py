"""Inhibition and delivery, proven on a running Alertmanager with the generated configuration: each receiver
through its own integration (Slack, PagerDuty, e-mail, webhook) to the local stand-ins, alerts posted to its
API."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from rules_src.alerts import availability, error_rate, latency
from tests.alertmanager_fixtures import RunningAlertmanager, fast_routing, running_alertmanager, wait_for


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningAlertmanager]:
    with running_alertmanager(fast_routing("prod"), tmp_path_factory.mktemp("alertmanager")) as running:
        yield running


def test_a_p0_mutes_the_warning_of_its_family_only(alertmanager: RunningAlertmanager) -> None:
    am = alertmanager
    posted = [am.alert(a.name) for a in (error_rate.API_ERROR_RATE, error_rate.HTTP_5XX, latency.LATENCY_P95)]
    am.api("/api/v2/alerts", posted)

    def statuses() -> dict[str, dict[str, Any]]:
        return {a["labels"]["alertname"]: a["status"] for a in am.api("/api/v2/alerts")}

    # The inhibitor learns of the page from its own subscription, a moment after the API holds the alerts; the
    # pipeline asks it only at the group's flush, after group_wait.
    wait_for(lambda: statuses().get(error_rate.HTTP_5XX.name, {}).get("state") == "suppressed")
    state = statuses()

    assert state[error_rate.HTTP_5XX.name]["state"] == "suppressed"
    assert state[error_rate.HTTP_5XX.name]["inhibitedBy"]
    assert state[error_rate.API_ERROR_RATE.name]["state"] == "active"
    assert state[latency.LATENCY_P95.name]["state"] == "active"  # another family: not muted

    wait_for(lambda: am.delivered("slack-ops-alerts") and am.delivered("slack-ops-critical")
              and am.delivered("pagerduty-p0"))  # fmt: skip
    time.sleep(3)  # a few more group intervals, in case the muted warning were to slip through
    assert am.delivered("pagerduty-p0") == {error_rate.API_ERROR_RATE.name}
    assert am.delivered("slack-ops-critical") == {error_rate.API_ERROR_RATE.name}
    assert am.delivered("slack-ops-alerts") == {latency.LATENCY_P95.name}


def test_a_chart_page_is_routed_as_urgent_and_mutes_only_warnings_of_its_own_name(
    alertmanager: RunningAlertmanager,
) -> None:
    """The chart's alerts carry no category, family or service: a page among them reaches the urgent
    receivers, and it must not mute the chart's other warnings just because they lack the same labels."""
    am = alertmanager
    page = {"alertname": "KubeNodeNotReady", "severity": "critical"}
    same_name = {"alertname": "KubeNodeNotReady", "severity": "warning"}
    other = {"alertname": "NodeClockNotSynchronising", "severity": "warning"}
    am.api("/api/v2/alerts", [{"labels": labels} for labels in (page, same_name, other)])
    wait_for(lambda: len(am.api("/api/v2/alerts?filter=alertname=~%22Kube.*%7CNode.*%22")) == 3)
    state = {
        (a["labels"]["alertname"], a["labels"]["severity"]): a["status"]["state"]
        for a in am.api("/api/v2/alerts")
    }

    assert state[("KubeNodeNotReady", "critical")] == "active"
    assert state[("KubeNodeNotReady", "warning")] == "suppressed"
    assert state[("NodeClockNotSynchronising", "warning")] == "active"
    wait_for(lambda: "KubeNodeNotReady" in am.delivered("pagerduty-p0")
              and "KubeNodeNotReady" in am.delivered("slack-ops-critical"))  # fmt: skip
    wait_for(lambda: "NodeClockNotSynchronising" in am.delivered("slack-ops-alerts"))


def test_a_dead_service_mutes_its_other_availability_pages_but_not_other_families(
    alertmanager: RunningAlertmanager,
) -> None:
    """Fewer replicas and a not-running application are what a dead service looks like: while
    ScoringServiceDown pages, they would page again for the same outage."""
    am = alertmanager
    symptoms = (availability.REPLICAS_BELOW_MINIMUM, availability.APPLICATION_NOT_RUNNING)
    names = {a.name for a in (availability.SCORING_DOWN, *symptoms, latency.LATENCY_P99)}
    posted = [am.alert(name) for name in sorted(names)]
    am.api("/api/v2/alerts", posted)
    wait_for(lambda: names <= {a["labels"]["alertname"] for a in am.api("/api/v2/alerts")})
    state = {a["labels"]["alertname"]: a["status"]["state"] for a in am.api("/api/v2/alerts")}

    assert {name: state[name] for name in sorted(names)} == {
        availability.APPLICATION_NOT_RUNNING.name: "suppressed",
        latency.LATENCY_P99.name: "active",
        availability.SCORING_DOWN.name: "active",
        availability.REPLICAS_BELOW_MINIMUM.name: "suppressed",
    }
    wait_for(
        lambda: {availability.SCORING_DOWN.name, latency.LATENCY_P99.name} <= am.delivered("pagerduty-p0")
    )
    time.sleep(3)  # a few more group intervals, in case a muted page were to slip through
    assert not {a.name for a in symptoms} & am.delivered("pagerduty-p0")

"""Inhibition and delivery, proven on a running Alertmanager with the generated configuration: each
receiver swapped for a local webhook sink, alerts posted to its API."""

from __future__ import annotations

import json
import shutil
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from infra.local.process import LOOPBACK, free_port, start, stop
from infra.local.webhook_sink import WebhookSink
from infra.serialize import to_yaml
from infra.settings.loader import read_config, stack_file
from rules_src.alertmanager import alertmanager_config, with_webhook_receivers
from rules_src.alerts import availability, error_rate, latency
from rules_src.stack import Stack, build_stack
from tests.conftest import PROJECT_DIR

FAST = {"groupWait": "1s", "groupInterval": "1s", "repeatInterval": "1h"}


def _fast_prod() -> Stack:
    """prod's routing with short group timings, so notifications arrive within seconds."""
    values, secrets = read_config(stack_file(PROJECT_DIR, "prod"))
    routes = values["alerting"]["routes"]
    values["alerting"]["routes"] = {name: {**route, **FAST} for name, route in routes.items()}
    return build_stack("prod", values, secrets, "test")


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, WebhookSink, Stack]]:
    binary = shutil.which("prometheus-alertmanager")
    assert binary, "Debian's prometheus-alertmanager package is required"
    folder = tmp_path_factory.mktemp("alertmanager")
    stack = _fast_prod()
    sink = WebhookSink(folder / "sink")
    sink.serve_in_thread()
    config = with_webhook_receivers(alertmanager_config(stack.settings.alerting), sink.url)
    (folder / "alertmanager.yaml").write_text(to_yaml(config))
    port = free_port()
    argv = [binary, f"--config.file={folder / 'alertmanager.yaml'}", f"--storage.path={folder / 'data'}",
            f"--web.listen-address={LOOPBACK}:{port}", "--cluster.listen-address="]  # fmt: skip
    running = start("alertmanager", argv, folder / "alertmanager.log", f"http://{LOOPBACK}:{port}/-/ready")
    try:
        yield running.url, sink, stack
    finally:
        stop(running.pid)
        sink.shutdown()


def _alert(stack: Stack, name: str) -> dict[str, Any]:
    labels = {"alertname": name, **stack.alerts.named(name).labels(), **stack.alerts.scope.scoring_labels}
    return {"labels": labels, "annotations": {"summary": stack.alerts.named(name).summary()}}


def _api(url: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read() or b"null")


def _wait_for(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_a_p0_mutes_the_warning_of_its_family_only(alertmanager: tuple[str, WebhookSink, Stack]) -> None:
    url, sink, stack = alertmanager
    posted = [
        _alert(stack, a.name) for a in (error_rate.API_ERROR_RATE, error_rate.HTTP_5XX, latency.LATENCY_P95)
    ]
    _api(url, "/api/v2/alerts", posted)
    _wait_for(lambda: len(_api(url, "/api/v2/alerts")) == 3)
    state = {a["labels"]["alertname"]: a["status"] for a in _api(url, "/api/v2/alerts")}

    assert state[error_rate.HTTP_5XX.name]["state"] == "suppressed"
    assert state[error_rate.HTTP_5XX.name]["inhibitedBy"]
    assert state[error_rate.API_ERROR_RATE.name]["state"] == "active"
    assert state[latency.LATENCY_P95.name]["state"] == "active"  # another family: not muted

    _wait_for(lambda: sink.alertnames("slack-ops-alerts") and sink.alertnames("slack-ops-critical")
              and sink.alertnames("pagerduty-p0"))  # fmt: skip
    time.sleep(3)  # a few more group intervals, in case the muted warning were to slip through
    assert sink.alertnames("pagerduty-p0") == {error_rate.API_ERROR_RATE.name}
    assert sink.alertnames("slack-ops-critical") == {error_rate.API_ERROR_RATE.name}
    assert sink.alertnames("slack-ops-alerts") == {latency.LATENCY_P95.name}


def test_a_chart_page_is_routed_as_urgent_and_mutes_only_warnings_of_its_own_name(
    alertmanager: tuple[str, WebhookSink, Stack],
) -> None:
    """The chart's alerts carry no category, family or service: a page among them reaches the urgent
    receivers, and it must not mute the chart's other warnings just because they lack the same labels."""
    url, sink, _ = alertmanager
    page = {"alertname": "KubeNodeNotReady", "severity": "critical"}
    same_name = {"alertname": "KubeNodeNotReady", "severity": "warning"}
    other = {"alertname": "NodeClockNotSynchronising", "severity": "warning"}
    _api(url, "/api/v2/alerts", [{"labels": labels} for labels in (page, same_name, other)])
    _wait_for(lambda: len(_api(url, "/api/v2/alerts?filter=alertname=~%22Kube.*%7CNode.*%22")) == 3)
    state = {
        (a["labels"]["alertname"], a["labels"]["severity"]): a["status"]["state"]
        for a in _api(url, "/api/v2/alerts")
    }

    assert state[("KubeNodeNotReady", "critical")] == "active"
    assert state[("KubeNodeNotReady", "warning")] == "suppressed"
    assert state[("NodeClockNotSynchronising", "warning")] == "active"
    _wait_for(lambda: "KubeNodeNotReady" in sink.alertnames("pagerduty-p0")
              and "KubeNodeNotReady" in sink.alertnames("slack-ops-critical"))  # fmt: skip
    _wait_for(lambda: "NodeClockNotSynchronising" in sink.alertnames("slack-ops-alerts"))


def test_a_dead_service_mutes_its_other_availability_pages_but_not_other_families(
    alertmanager: tuple[str, WebhookSink, Stack],
) -> None:
    """Fewer replicas and a not-running application are what a dead service looks like: while
    ScoringServiceDown pages, they would page again for the same outage."""
    url, sink, stack = alertmanager
    symptoms = (availability.REPLICAS_BELOW_MINIMUM, availability.APPLICATION_NOT_RUNNING)
    names = {a.name for a in (availability.SCORING_DOWN, *symptoms, latency.LATENCY_P99)}
    posted = [_alert(stack, name) for name in sorted(names)]
    _api(url, "/api/v2/alerts", posted)
    _wait_for(lambda: names <= {a["labels"]["alertname"] for a in _api(url, "/api/v2/alerts")})
    state = {a["labels"]["alertname"]: a["status"]["state"] for a in _api(url, "/api/v2/alerts")}

    assert {name: state[name] for name in sorted(names)} == {
        availability.APPLICATION_NOT_RUNNING.name: "suppressed",
        latency.LATENCY_P99.name: "active",
        availability.SCORING_DOWN.name: "active",
        availability.REPLICAS_BELOW_MINIMUM.name: "suppressed",
    }
    _wait_for(
        lambda: {availability.SCORING_DOWN.name, latency.LATENCY_P99.name} <= sink.alertnames("pagerduty-p0")
    )
    time.sleep(3)  # a few more group intervals, in case a muted page were to slip through
    assert not {a.name for a in symptoms} & sink.alertnames("pagerduty-p0")

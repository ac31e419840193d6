"""The checks between settings keys that only a whole stack can judge: here, which receivers the routes name and
where a route's flushes fall against Prometheus's evaluations (the refusals themselves are rows of
test_settings_errors.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conventions.durations import Duration
from infra.settings.loader import read_config, stack_file
from infra.settings.validation import between_evaluations, validate_settings
from tests.infra.stack_edits import edit_stack


@pytest.mark.parametrize(
    ("wait", "interval", "midway"),
    [("30s", "15s", "37s500ms"), ("0s", "2s", "1s"), ("40s", "2s", "41s"), ("10s", "30s", "15s"),
     ("1m", "1m", "1m30s"), ("37s", "15s", "37s500ms")],
)  # fmt: skip
def test_a_group_wait_moves_to_midway_between_the_evaluations_around_it(
    wait: str, interval: str, midway: str
) -> None:
    assert str(between_evaluations(Duration.parse(wait), Duration.parse(interval))) == midway


def test_one_alertmanager_may_flush_on_an_evaluation_since_it_has_no_peer_to_race(project: Path) -> None:
    """dev runs one Alertmanager: a group wait and interval on its evaluations (30s) are its own business."""
    path = stack_file(project, "dev")
    edit_stack(path, "vigie:alerting", "routes.urgent.groupWait", "30s")
    edit_stack(path, "vigie:alerting", "routes.urgent.groupInterval", "45s")
    values, secrets = read_config(path)
    settings = validate_settings(values, secrets, path.name)
    assert settings.monitoring.alertmanager_replicas == 1
    assert (
        str(settings.alerting.routes.urgent.group_wait),
        str(settings.alerting.routes.urgent.group_interval),
    ) == (
        "30s",
        "45s",
    )


def test_a_receiver_only_the_default_route_names_is_routed_to(project: Path) -> None:
    """The default route takes what no category matches: a receiver it alone names is in use."""
    path = stack_file(project, "prod")
    for category in ("resource", "serviceHealth"):
        edit_stack(path, "vigie:alerting", f"routes.{category}.receivers", ["slack-ops-critical"])
    values, secrets = read_config(path)
    routes = validate_settings(values, secrets, path.name).alerting.routes
    assert [key for key, route in routes.by_key().items() if "slack-ops-alerts" in route.receivers] == [
        "default"
    ]

"""The fast twin of each committed stack (the local demo's and the e2e suite's): still valid settings, with the
same rules and routing, only shorter timings."""

from __future__ import annotations

import pytest

from conventions.durations import duration_seconds
from infra.local.fast import INTERVAL, MAX_FOR, fast_stack
from rules_src.alerts.drift import DRIFT_JOB_NEVER_RAN
from rules_src.stack import load_stack
from tests.conftest import PROJECT_DIR, STACKS


@pytest.mark.parametrize("name", STACKS)
def test_each_stacks_fast_twin_passes_every_settings_check_with_its_alerts_and_routes(name: str) -> None:
    """Every check the real stack passes (an Airflow stack's retries within DriftJobFailed's `for` included)
    holds for its twin, which keeps the same alerts, thresholds and receivers."""
    real, fast = load_stack(PROJECT_DIR, name), fast_stack(PROJECT_DIR, name)
    assert [(a.name, a.threshold, a.severity) for a in fast.alerts.enabled] == [
        (a.name, a.threshold, a.severity) for a in real.alerts.enabled
    ]
    assert fast.settings.alerting.receivers == real.settings.alerting.receivers
    assert fast.settings.drift.scheduler == real.settings.drift.scheduler
    longer = {a.name for a in fast.alerts.enabled if a.for_.seconds > duration_seconds(MAX_FOR)}
    assert longer <= {DRIFT_JOB_NEVER_RAN.name}  # its grace must exceed the fast schedule's gap
    assert fast.settings.monitoring.evaluation_interval.seconds == duration_seconds(INTERVAL)


@pytest.mark.parametrize("name", STACKS)
def test_each_fast_route_flushes_midway_between_two_fast_evaluations_within_an_interval_of_its_wait(
    name: str,
) -> None:
    """The twin's two Alertmanagers meet no update at a flush, as the real stack's do; and each route's wait
    moves by less than one short evaluation, so a page still goes out before the warnings it mutes."""
    real, fast = load_stack(PROJECT_DIR, name), fast_stack(PROJECT_DIR, name)
    step = duration_seconds(INTERVAL)
    twins = fast.settings.alerting.routes.by_key()
    for key, route in real.settings.alerting.routes.by_key().items():
        twin = twins[key]
        assert (twin.group_wait.seconds % step, twin.group_interval.seconds % step) == (step / 2, 0), key
        assert abs(twin.group_wait.seconds - route.group_wait.seconds) <= step, key

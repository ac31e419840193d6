"""The drift family beyond its generated tests: verdicts about another model version are ignored (and said so),
a thin matured cohort stays quiet, DriftJobNeverRan's grace follows DriftJobStale's threshold, and a lost success
counts from its loss. promtool runs these on the drift rules alone, so a grace of days takes seconds."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from conventions import contract as c
from conventions.errors import UserError
from infra.settings.loader import read_config, stack_file
from rules_src.alert import Series
from rules_src.alerts import drift
from rules_src.rule_groups import rule_groups
from rules_src.stack import Stack, build_stack, load_stack
from tests.conftest import PROJECT_DIR

PROD = load_stack(PROJECT_DIR, "prod")
DECLARED = PROD.settings.model.version
OTHER = f"{DECLARED}{drift.PREVIOUS}"
DRIFT_LABELS = {c.JOB: c.DRIFT_PUSH_JOB, c.STACK: "prod"}


def _verdict(metric: c.Metric, value: float, version: str = OTHER, steps: int = 60) -> Series:
    return Series(metric.name, {**DRIFT_LABELS, c.MODEL_VERSION: version}, f"{value:g}x{steps}")


QUIET = {
    # name: (series, interval, evaluation time, alerts that must be silent then)
    "a drift share above 30 % about the previous model": (
        (_verdict(c.DRIFT_SHARE, 0.9),), "1m", "10m", ("DataDriftDetected",)),
    "prediction drift flagged about the previous model": (
        (_verdict(c.PREDICTION_DRIFT_DETECTED, 1),), "1m", "10m", ("PredictionDriftDetected",)),
    "a costly matured cohort about the previous model": (
        (_verdict(c.MATURED_BUSINESS_COST, 5), _verdict(c.REFERENCE_BUSINESS_COST, 0.5)), "1m", "10m",
        ("ModelPerformanceDegraded",)),
    "a matured cohort too thin to judge (no cost pushed)": (
        (_verdict(c.MATURED_LABELLED_ROWS, 12, DECLARED), _verdict(c.REFERENCE_BUSINESS_COST, 0.5, DECLARED)),
        "1m", "10m", ("ModelPerformanceDegraded",)),
    "the last verdict about the declared model": (
        (_verdict(c.DRIFT_MODEL_VERSION_INFO, 1, DECLARED),), "1m", "10m", ("DriftVerdictVersionMismatch",)),
    "a success recorded for a day, then lost for a day less than the grace": (
        (Series(c.DRIFT_LAST_SUCCESS_TIMESTAMP.name, DRIFT_LABELS, "1x1440"),), "1m", "8d5m",
        ("DriftJobNeverRan",)),
}  # fmt: skip


def _promtool(tmp_path: Path, stack: Stack, tests: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    groups = [g for g in rule_groups(stack.alerts) if g["name"] == c.GROUP_DRIFT_ALERTS]
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": groups}))
    document = {"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": tests}
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(document))
    return subprocess.run(["promtool", "test", "rules", "tests.yaml"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip


@pytest.mark.parametrize(("series", "interval", "at", "silent"), QUIET.values(), ids=QUIET)
def test_the_drift_alerts_stay_quiet(
    tmp_path: Path, series: tuple[Series, ...], interval: str, at: str, silent: tuple[str, ...]
) -> None:
    checks = [{"eval_time": at, "alertname": name, "exp_alerts": []} for name in silent]
    test = {"interval": interval, "input_series": [s.promtool() for s in series], "alert_rule_test": checks}
    done = _promtool(tmp_path, PROD, [test])
    assert done.returncode == 0, done.stdout + done.stderr


def _firing(stack: Stack, name: str, labels: dict[str, str], at: str) -> dict[str, Any]:
    alert = stack.alerts.named(name)
    links = stack.alerts.links
    expected = {
        "exp_labels": {**labels, **alert.labels()},
        "exp_annotations": {
            "summary": alert.summary(),
            "description": alert.description_for(1, labels),
            "runbook_url": links.runbook(alert),
            "dashboard_url": links.dashboard(alert),
        },
    }
    return {"eval_time": at, "alertname": name, "exp_alerts": [expected]}


def test_a_previous_models_verdict_is_said_to_be_ignored(tmp_path: Path) -> None:
    labels = {**DRIFT_LABELS, c.MODEL_VERSION: OTHER}
    test = {
        "interval": "1m",
        "input_series": [
            _verdict(c.DRIFT_MODEL_VERSION_INFO, 1).promtool(),
            _verdict(c.DRIFT_SHARE, 0.9).promtool(),
        ],
        "alert_rule_test": [
            _firing(PROD, "DriftVerdictVersionMismatch", labels, "5m"),
            {"eval_time": "5m", "alertname": "DataDriftDetected", "exp_alerts": []},
        ],
    }
    done = _promtool(tmp_path, PROD, [test])
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_lost_success_alerts_a_grace_after_the_loss(tmp_path: Path) -> None:
    """A day of successes, then a wiped Pushgateway: stale 5 minutes after the last sample (23h59m), firing 8d
    later, not one evaluation earlier."""
    series = Series(c.DRIFT_LAST_SUCCESS_TIMESTAMP.name, DRIFT_LABELS, "1x1439")
    test = {
        "interval": "1m",
        "input_series": [series.promtool()],
        "alert_rule_test": [
            {"eval_time": "9d4m", "alertname": "DriftJobNeverRan", "exp_alerts": []},
            _firing(PROD, "DriftJobNeverRan", DRIFT_LABELS, "9d5m"),
        ],
    }
    done = _promtool(tmp_path, PROD, [test])
    assert done.returncode == 0, done.stdout + done.stderr


def _prod_with(alerts: dict[str, Any]) -> Stack:
    values, secrets = read_config(stack_file(PROJECT_DIR, "prod"))
    values["alerts"] = {**values.get("alerts", {}), **alerts}
    return build_stack("prod", values, secrets, "Pulumi.prod.yaml")


GRACES = {
    "the default: DriftJobStale's threshold": ({}, "8d"),
    "DriftJobStale's threshold raised": ({"DriftJobStale": {"threshold": "15d"}}, "15d"),
    "set on DriftJobNeverRan itself": ({"DriftJobNeverRan": {"for": "10d"}}, "10d"),
}


@pytest.mark.parametrize(("alerts", "grace"), GRACES.values(), ids=GRACES)
def test_the_never_ran_grace_follows_drift_job_stale_unless_set(alerts: dict[str, Any], grace: str) -> None:
    assert str(_prod_with(alerts).alerts.named("DriftJobNeverRan").for_) == grace


REFUSED = {
    "a grace within the schedule's gap plus the deadline": (
        {"DriftJobNeverRan": {"for": "7d1h"}},
        "Pulumi.prod.yaml: vigie:alerts.DriftJobNeverRan.for: DriftJobNeverRan's for (7d1h) must exceed the drift "
        "schedule's longest gap (7d) plus the drift job's activeDeadline (2h), or it alerts before the first "
        "scheduled run of a new stack can have succeeded"),
    "a derived grace that DriftJobStale's threshold cuts too short": (
        {"DriftJobStale": {"threshold": "7d1h"}},
        "Pulumi.prod.yaml: vigie:alerts.DriftJobStale.threshold: DriftJobNeverRan's for (7d1h) must exceed the "
        "drift schedule's longest gap (7d) plus the drift job's activeDeadline (2h), or it alerts before the first "
        "scheduled run of a new stack can have succeeded"),
}  # fmt: skip


@pytest.mark.parametrize(("alerts", "message"), REFUSED.values(), ids=REFUSED)
def test_a_grace_shorter_than_the_first_run_can_take_is_refused(alerts: dict[str, Any], message: str) -> None:
    with pytest.raises(UserError) as raised:
        _prod_with(alerts)
    assert str(raised.value) == message

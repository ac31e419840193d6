"""The drift DAG's alert and failure code, run without Airflow on prod's SPEC as `vigie render` builds it: which
verdicts alert, with which labels and values, and what the failure callback pushes."""

from __future__ import annotations

import copy
import urllib.error
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conventions import contract as c
from infra.airflow.drift_dag import alerts_for, failed_status, format_value, post_alerts
from infra.manifests.concerns import drift_dag_slice
from infra.manifests.drift_dag import dag_spec
from rules_src.alert import ValueFormat, go_format
from rules_src.stack import load_stack
from tests.conftest import PROJECT_DIR

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
SPEC = dag_spec(drift_dag_slice(load_stack(PROJECT_DIR, "prod")))
VERSION = SPEC["model_version"]


def _summary(
    data: bool = True, prediction: bool = True, degraded: bool = False, **extra: Any
) -> dict[str, Any]:
    """The parts of Drift_Summary.json the alert task reads."""
    return {
        "model": {"version": VERSION},
        "data_drift": {"detected": data, "share": 0.4},
        "prediction_drift": {"drifted": prediction},
        "matured_performance": {"degraded": degraded, "cost_increase": 0.25 if degraded else 0.01},
        **extra,
    }


def _firing(alerts: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {a["labels"]["alertname"]: a for a in alerts if a["endsAt"] > a["startsAt"]}


@pytest.mark.parametrize(
    ("summary", "firing"),
    [
        (_summary(), {"DataDriftDetected", "PredictionDriftDetected"}),
        (_summary(data=False, prediction=False, degraded=True), {"ModelPerformanceDegraded"}),
        (_summary(data=False, prediction=False), set()),
        (_summary(model={"version": f"{VERSION}-previous"}), set()),
        ({"insufficient_data": True, "rows": 10, "min_rows": 500, "model": {"version": VERSION}}, set()),
    ],
    ids=["drift", "degraded", "quiet", "another model version", "insufficient data"],
)
def test_each_run_posts_every_verdict_alert_firing_only_the_detected_ones(
    summary: dict[str, Any], firing: set[str]
) -> None:
    alerts = alerts_for(SPEC, summary, NOW)
    assert sorted(a["labels"]["alertname"] for a in alerts) == sorted(SPEC["alerts"])
    assert set(_firing(alerts)) == firing
    for alert in alerts:
        ends = datetime.fromisoformat(alert["endsAt"])
        assert ends == (NOW + timedelta(seconds=SPEC["firing_for_seconds"]) if alert in _firing(alerts).values()
                        else NOW)  # fmt: skip


def test_firing_alerts_carry_the_rule_labels_and_the_judged_version() -> None:
    data = _firing(alerts_for(SPEC, _summary(), NOW))["DataDriftDetected"]
    assert data["labels"] == {
        "alertname": "DataDriftDetected", "category": "ml-degradation", "family": "drift", "service": "drift",
        "severity": "warning", c.JOB: c.DRIFT_PUSH_JOB, c.STACK: "prod", c.MODEL_VERSION: VERSION,
    }  # fmt: skip
    assert data["annotations"]["description"].startswith(
        "The last drift run of stack prod found 40% of the important features drifted"
    )
    assert data["annotations"]["runbook_url"].endswith("/DataDriftDetected.md")


def test_a_disabled_verdict_alert_is_never_posted() -> None:
    spec = copy.deepcopy(SPEC)
    del spec["verdicts"]["prediction_drift"], spec["alerts"]["PredictionDriftDetected"]
    assert set(_firing(alerts_for(spec, _summary(), NOW))) == {"DataDriftDetected"}


@pytest.mark.parametrize("value", [0.4, 0.30000001, 0.123456, 1.0, 0.0])
@pytest.mark.parametrize("value_format", [ValueFormat.PERCENT, ValueFormat.NONE])
def test_values_print_as_the_rules_descriptions_print_them(value: float, value_format: ValueFormat) -> None:
    assert format_value(value, value_format.value) == go_format(value, value_format)


def test_the_failure_callback_pushes_the_failed_status_in_the_contracts_names() -> None:
    families = {f.name: f for f in text_string_to_metric_families(failed_status(SPEC, 1764471600.5))}
    assert {name: (f.type, f.documentation, f.samples[0].value) for name, f in families.items()} == {
        c.DRIFT_LAST_RUN_SUCCESS.name: ("gauge", c.DRIFT_LAST_RUN_SUCCESS.help, 0.0),
        c.DRIFT_LAST_RUN_TIMESTAMP.name: ("gauge", c.DRIFT_LAST_RUN_TIMESTAMP.help, 1764471600.5),
    }
    assert SPEC["failure"]["url"].endswith(f"/metrics/job/{c.DRIFT_PUSH_JOB}/{c.STACK}/prod")


def test_an_unreachable_alertmanager_fails_the_task() -> None:
    with pytest.raises(urllib.error.URLError):
        post_alerts("http://127.0.0.1:9", alerts_for(SPEC, _summary(), NOW))

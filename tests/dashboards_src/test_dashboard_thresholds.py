"""Threshold lines come from the stack's settings: overriding a threshold moves every line drawn at it,
disabling an alert removes its line, and a line's colour follows the alert's severity in the stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conventions import dashboard_uids as uids
from dashboards_src.build import dashboards
from infra.settings.loader import stack_file
from rules_src.stack import load_stack
from tests.dashboards_src.grafana_json import dashboard, panels_titled, threshold_values
from tests.infra.stack_edits import edit_stack

BASE_STACK = "prod"
OPS, BUSINESS, DRIFT = uids.OPERATIONS, uids.MODEL_BUSINESS, uids.DRIFT

# (config key, dotted path, new value), dashboard, panels drawing the line, value before, value after
MOVES = [
    (("vigie:alerts", "LatencyP95High.threshold", "300ms"), OPS, ("Latency", "p95 latency"), 0.5, 0.3),
    (("vigie:alerts", "LatencyP99Critical.threshold", "2s"), OPS, ("Latency", "p95 latency"), 1.0, 2.0),
    (("vigie:alerts", "Http5xxRateHigh.threshold", 0.02), OPS, ("Server error rate", "5xx rate"), 0.01, 0.02),
    (
        ("vigie:alerts", "ApiErrorRateCritical.threshold", 0.1),
        OPS,
        ("Server error rate", "5xx rate"),
        0.05,
        0.1,
    ),
    (("vigie:alerts", "ClientErrorRateHigh.threshold", 0.2), OPS, ("Client error rate",), 0.1, 0.2),
    (("vigie:alerts", "CpuUsageHigh.threshold", 0.9), OPS, ("CPU usage", "CPU"), 85.0, 90.0),
    (("vigie:serving", "autoscaling.maxReplicas", 12), OPS, ("Replicas",), 8, 12),
    (("vigie:alerts", "CreditRefusalRateHigh.threshold", 0.3), BUSINESS, ("Refusal rate",), 0.2, 0.3),
    (
        ("vigie:alerts", "DataDriftDetected.threshold", 0.4),
        DRIFT,
        ("Drifted share", "Drifted share of important features"),
        0.3,
        0.4,
    ),
    (("vigie:alerts", "DriftJobStale.threshold", "10d"), DRIFT, ("Since last success",), 691200, 864000),
    (
        ("vigie:drift", "pValue", 0.01),
        DRIFT,
        ("Features at the last run", "Prediction drift p-value"),
        0.05,
        0.01,
    ),
]


def edited_dashboards(project: Path, key: str, dotted: str, value: Any) -> dict[str, dict[str, Any]]:
    """The base stack's dashboards after one edit of its stack file."""
    edit_stack(stack_file(project, BASE_STACK), key, dotted, value)
    return dashboards(load_stack(project, BASE_STACK))


def _values(board: dict[str, Any], title: str) -> list[float]:
    return [value for panel in panels_titled(board, title) for value in threshold_values(panel)]


@pytest.mark.parametrize(
    ("edit", "uid", "titles", "before", "after"), MOVES, ids=[".".join(map(str, m[0][1:])) for m in MOVES]
)
def test_threshold_lines_move_with_the_stacks_settings(
    project: Path,
    edit: tuple[str, str, Any],
    uid: str,
    titles: tuple[str, ...],
    before: float,
    after: float,
) -> None:
    original = dashboard(BASE_STACK, uid)
    moved = edited_dashboards(project, *edit)[uid]
    for title in titles:
        assert before in _values(original, title) and after not in _values(original, title), title
        assert after in _values(moved, title) and before not in _values(moved, title), title


def test_a_disabled_alert_draws_no_line_and_links_no_runbook(project: Path) -> None:
    board = edited_dashboards(project, "vigie:alerts", "CpuUsageHigh.enabled", False)[OPS]
    for title in ("CPU usage", "CPU"):
        (panel,) = panels_titled(board, title)
        assert threshold_values(panel) == []
        assert not [link for link in panel["links"] if "CpuUsageHigh" in link["url"]]


@pytest.mark.parametrize(("stack_name", "color"), [("prod", "orange"), ("dev", "blue")])
def test_a_line_takes_the_colour_of_its_alerts_severity_in_the_stack(stack_name: str, color: str) -> None:
    """dev downgrades CpuUsageHigh to info; prod keeps the warning."""
    (panel,) = panels_titled(dashboard(stack_name, OPS), "CPU usage")
    (line,) = [
        step for step in panel["fieldConfig"]["defaults"]["thresholds"]["steps"] if step["value"] is not None
    ]
    assert line["color"] == color


def test_panels_drawing_an_alert_threshold_link_its_runbook() -> None:
    (panel,) = panels_titled(dashboard(BASE_STACK, OPS), "Latency")
    base = "https://runbooks.scoring.internal/vigie"
    assert {link["url"] for link in panel["links"]} == {
        f"{base}/LatencyP95High.md",
        f"{base}/LatencyP99Critical.md",
        f"{base}/BatchLatencyP99High.md",
    }

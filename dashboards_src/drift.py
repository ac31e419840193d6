"""The drift dashboard: the drift job's verdicts on data, predictions and performance, and its own health
(seed §3.B-C)."""

from __future__ import annotations

from typing import Any

from conventions import contract as c
from dashboards_src import frame, style
from dashboards_src import layout as grid
from dashboards_src.queries import drift as q
from dashboards_src.style import Query
from dashboards_src.thresholds import Line, alert_lines, runbook_links
from rules_src.alerts import drift
from rules_src.stack import Alerts, Stack

SHARE = (Line(drift.DATA_DRIFT),)
FAILED = (Line(drift.DRIFT_JOB_FAILED),)
STALE = (Line(drift.DRIFT_JOB_STALE),)
NO_LABELS = "no labelled data yet"
DRIFTED = {0: ("stable", style.GREEN), 1: ("drifted", style.RED)}
RUN_STATUS = {0: ("failed", style.RED), 1: ("succeeded", style.GREEN)}
STAT_DECIMALS = 3


def _p_value_colors(p_value: float) -> list[style.Json]:
    """Red below the p-value under which the drift job calls a distribution drifted."""
    return style.below(p_value)


def drift_share_now(alerts: Alerts) -> Any:
    """The last run's verdict: the share of important features that drifted, coloured at the alert threshold."""
    return style.stat(
        "Drifted share",
        "Share of the important features that drifted at the last run (KS; chi-square on categories).",
        [Query(q.latest(c.DRIFT_SHARE))],
        unit="percentunit",
        decimals=0,
        colors=alert_lines(alerts, *SHARE),
        links=runbook_links(alerts, *SHARE),
    )


def drifted_features_now() -> Any:
    """How many features drifted out of how many were tested."""
    return style.stat(
        "Drifted features",
        "Important features that drifted, out of those tested, at the last run.",
        [
            Query(q.latest(c.DRIFT_DRIFTED_FEATURES), "drifted"),
            Query(q.latest(c.DRIFT_IMPORTANT_FEATURES), "tested"),
        ],
        unit="short",
        text_mode="value_and_name",
        decimals=0,
    )


def prediction_drift_now(p_value: float) -> Any:
    """Whether the score distribution itself moved, red below the drift p-value."""
    return style.stat(
        "Prediction drift p-value",
        "KS p-value of the score distribution at the last run.",
        [Query(q.latest(c.PREDICTION_DRIFT_P_VALUE))],
        unit="none",
        decimals=STAT_DECIMALS,
        colors=_p_value_colors(p_value),
    )


def last_run(alerts: Alerts) -> Any:
    """Whether the last drift run succeeded: a failed run means drift is not being watched."""
    return style.stat(
        "Last run",
        "Outcome of the drift job's last run.",
        [Query(q.lowest(c.DRIFT_LAST_RUN_SUCCESS))],
        unit="none",
        mappings=style.value_mappings(RUN_STATUS),
        links=runbook_links(alerts, *FAILED),
        colors=style.steps(style.GREY),
    )


def since_last_success(alerts: Alerts) -> Any:
    """Time since the last successful run, coloured at the staleness alert threshold."""
    return style.stat(
        "Since last success",
        "Time since the drift job's last successful run ended.",
        [Query(q.since(c.DRIFT_LAST_SUCCESS_TIMESTAMP))],
        unit="s",
        colors=alert_lines(alerts, *STALE),
        links=runbook_links(alerts, *STALE),
    )


def rows_compared() -> Any:
    """How much data the last run compared, since KS on few rows says little."""
    return style.stat(
        "Rows compared",
        "Rows of the reference and of the current window the last run compared.",
        [Query(q.by_label(c.DRIFT_ROWS, c.DATASET), style.legend(c.DATASET))],
        unit="short",
        text_mode="value_and_name",
        decimals=0,
    )


def drift_share(alerts: Alerts) -> Any:
    """The drifted share run after run, against the alert threshold."""
    return style.timeseries(
        "Drifted share of important features",
        "Share of the important features that drifted at each run; dashed: the data-drift alert threshold.",
        [Query(q.latest(c.DRIFT_SHARE), "drifted share")],
        unit="percentunit",
        max_value=1,
        lines=alert_lines(alerts, *SHARE),
        links=runbook_links(alerts, *SHARE),
    )


def features(p_value: float) -> Any:
    """Which features drifted and how strongly, to tell a data problem from a world that changed."""
    metrics = (c.DRIFT_FEATURE_STATISTIC, c.DRIFT_FEATURE_P_VALUE, c.DRIFT_FEATURE_DRIFTED)
    names = ("statistic", "p-value", "drifted")
    organize = {
        "excludeByName": {"Time": True},
        "indexByName": {c.FEATURE: 0, c.TEST: 1, **{style.value_field(i): i + 2 for i in range(len(names))}},
        "renameByName": {style.value_field(i): name for i, name in enumerate(names)},
    }
    return style.table(
        "Features at the last run",
        "Test, statistic, p-value and verdict of each important feature, most significant first: "
        "Kolmogorov–Smirnov (ks) on ordered values, chi-square on categories; "
        "a p-value in red is below the drift threshold.",
        [Query(q.by_label(metric, c.FEATURE, c.TEST)) for metric in metrics],
        transformations=[{"id": "merge", "options": {}}, {"id": "organize", "options": organize}],
        overrides=[
            style.by_name("statistic", {"decimals": STAT_DECIMALS}),
            style.by_name(
                "p-value",
                {
                    "custom.cellOptions": {"type": "color-text"},
                    "decimals": STAT_DECIMALS,
                    "thresholds": {"mode": "absolute", "steps": _p_value_colors(p_value)},
                },
            ),
            style.by_name(
                "drifted",
                {
                    "custom.cellOptions": {"type": "color-background"},
                    "mappings": style.value_mappings(DRIFTED),
                },
            ),
        ],
        sort_by="p-value",
        descending=False,
    )


def prediction_drift_statistic() -> Any:
    """How far the score distribution moved from the reference, run after run."""
    return style.timeseries(
        "Prediction drift statistic",
        "KS statistic of the score distribution, reference against current.",
        [Query(q.latest(c.PREDICTION_DRIFT_STATISTIC), "KS statistic")],
        unit="none",
        max_value=1,
    )


def prediction_drift_p_value(p_value: float) -> Any:
    """Whether that move is significant: below the dashed line, the prediction distribution drifted."""
    return style.timeseries(
        "Prediction drift p-value",
        "KS p-value of the score distribution; dashed: the drift p-value threshold.",
        [Query(q.latest(c.PREDICTION_DRIFT_P_VALUE), "p-value")],
        unit="none",
        max_value=1,
        lines=_p_value_colors(p_value),
    )


def business_cost() -> Any:
    """The real cost of the model's errors once labels arrive, against its cost on the reference data: on the
    current window's few labelled rows, and on the matured cohort that ModelPerformanceDegraded judges."""
    return style.timeseries(
        "Business cost per application",
        "Cost of false negatives and false positives per application on labelled data: the current window's, "
        "and the matured cohort's (predictions made drift.labelDelay ago, whose labels have arrived); empty "
        "until delayed labels arrive.",
        [
            Query(q.latest(c.BUSINESS_COST), "current"),
            Query(q.latest(c.MATURED_BUSINESS_COST), "matured"),
            Query(q.latest(c.REFERENCE_BUSINESS_COST), "reference"),
        ],
        unit="none",
        overrides=[style.by_name("reference", style.DASHED)],
    )


def auc() -> Any:
    """Ranking quality on labelled data: a falling AUC is performance degradation."""
    return style.stat(
        "AUC",
        "ROC AUC on labelled current data at the last run with labels.",
        [Query(q.latest(c.AUC))],
        unit="none",
        decimals=STAT_DECIMALS,
        no_value=NO_LABELS,
    )


def auc_history() -> Any:
    """AUC run after run."""
    return style.timeseries(
        "AUC over time",
        "ROC AUC on labelled current data at each run with labels.",
        [Query(q.latest(c.AUC), "AUC")],
        unit="none",
        max_value=1,
    )


def dashboard(stack: Stack) -> Any:
    """The drift view: the last run's verdicts first, then data drift, prediction drift and performance."""
    return frame.dashboard(
        stack.settings.alerting.runbook_base_url,
        frame.DRIFT,
        frame.drift_variables(stack.alerts.scope),
        [
            grid.Section(
                "Last run",
                [
                    grid.stat(drift_share_now(stack.alerts)),
                    grid.stat(drifted_features_now()),
                    grid.stat(prediction_drift_now(stack.settings.drift.p_value)),
                    grid.stat(last_run(stack.alerts)),
                    grid.stat(since_last_success(stack.alerts)),
                    grid.stat(rows_compared()),
                ],
            ),
            grid.Section(
                "Data drift",
                [grid.half(drift_share(stack.alerts)), grid.half(features(stack.settings.drift.p_value))],
            ),
            grid.Section(
                "Prediction drift",
                [
                    grid.half(prediction_drift_statistic()),
                    grid.half(prediction_drift_p_value(stack.settings.drift.p_value)),
                ],
            ),
            grid.Section(
                "Performance on labelled data",
                [grid.Cell(business_cost(), 12, 8), grid.Cell(auc(), 4, 8), grid.Cell(auc_history(), 8, 8)],
            ),
        ],
    )

"""The model and business dashboard: what the model decides and how its scores move (seed §3.A)."""

from __future__ import annotations

from typing import Any

from conventions import contract as c
from dashboards_src import frame, style
from dashboards_src import layout as grid
from dashboards_src.queries import business as q
from dashboards_src.queries.recorded import recorded, recorded_max
from dashboards_src.style import Query
from dashboards_src.thresholds import Line, alert_lines, runbook_links
from rules_src.alerts import business
from rules_src.stack import Alerts, Stack

REFUSALS = (Line(business.REFUSAL_RATE),)
SCORE_DECIMALS = 3


def accepted_total() -> Any:
    """How many applications were accepted over the time range shown."""
    return style.stat(
        "Accepted credits",
        "Applications accepted (score < θ*) over the dashboard's time range.",
        [Query(q.total_over_range(c.ACCEPTED_CREDITS))],
        unit="short",
        instant=True,
        colors=style.steps(style.GREEN),
        decimals=0,
    )


def rejected_total() -> Any:
    """How many applications were rejected over the time range shown."""
    return style.stat(
        "Rejected credits",
        "Applications rejected (score ≥ θ*) over the dashboard's time range.",
        [Query(q.total_over_range(c.REJECTED_CREDITS))],
        unit="short",
        instant=True,
        colors=style.steps(style.ORANGE),
        decimals=0,
    )


def refusal_rate_now(alerts: Alerts) -> Any:
    """The refusal rate, coloured at the business alert's threshold."""
    return style.stat(
        "Refusal rate",
        "Share of applications rejected over the last 10 minutes.",
        [Query(recorded_max(c.REFUSAL_RATE))],
        unit="percentunit",
        decimals=1,
        colors=alert_lines(alerts, *REFUSALS),
        links=runbook_links(alerts, *REFUSALS),
    )


def decision_threshold() -> Any:
    """θ*, the score from which an application is rejected, per served model version."""
    return style.stat(
        "θ* (decision threshold)",
        "The score at or above which the model rejects an application.",
        [Query(q.decision_threshold(), style.legend(c.MODEL_VERSION))],
        unit="none",
        decimals=SCORE_DECIMALS,
        text_mode="value_and_name",
    )


def score_mean_now() -> Any:
    """The mean score now; a sudden change points at the model or its input data."""
    return style.stat(
        "Mean score",
        "Mean probability of default returned over the last 5 minutes.",
        [Query(recorded_max(c.SCORE_MEAN))],
        unit="none",
        decimals=SCORE_DECIMALS,
    )


def decisions() -> Any:
    """Accepted against rejected applications, as the seed's hourly counts."""
    return style.timeseries(
        "Accepted vs rejected credits",
        "Applications accepted and rejected over the last hour, at each instant.",
        [Query(recorded(c.ACCEPTED_COUNT), "accepted"), Query(recorded(c.REJECTED_COUNT), "rejected")],
        unit="short",
        overrides=[
            style.by_name("accepted", {"color": {"fixedColor": style.GREEN, "mode": "fixed"}}),
            style.by_name("rejected", {"color": {"fixedColor": style.ORANGE, "mode": "fixed"}}),
        ],
    )


def refusal_rate(alerts: Alerts) -> Any:
    """The refusal rate against the threshold above which the business is told."""
    return style.timeseries(
        "Refusal rate",
        "Share of applications rejected over 10 minutes; dashed: the refusal-rate alert threshold.",
        [Query(recorded(c.REFUSAL_RATE), "refusal rate")],
        unit="percentunit",
        max_value=1,
        lines=alert_lines(alerts, *REFUSALS),
        links=runbook_links(alerts, *REFUSALS),
    )


def score_mean_and_threshold() -> Any:
    """The mean score next to θ*: how far the typical applicant sits from a refusal."""
    return style.timeseries(
        "Mean score and θ*",
        "Mean probability of default over 5 minutes, and θ* per model version (dashed).",
        [
            Query(recorded(c.SCORE_MEAN), "mean score"),
            Query(q.decision_threshold(), f"θ* {style.legend(c.MODEL_VERSION)}"),
        ],
        unit="none",
        max_value=1,
        overrides=[style.by_regexp("^θ\\* .*", style.DASHED)],
    )


def score_distribution() -> Any:
    """The whole score distribution over time, where a mean alone hides a change of shape."""
    return style.heatmap(
        "Score distribution",
        "Scores returned per histogram bucket and time step.",
        [Query(q.score_buckets(), style.legend(c.LE))],
        unit="none",
    )


def decisions_by_model_version() -> Any:
    """Decisions per second by model version, to compare versions across a rollout."""
    version = style.legend(c.MODEL_VERSION)
    return style.timeseries(
        "Decisions by model version",
        "Applications accepted and rejected per second, by model version.",
        [
            Query(q.rate_by_model_version(c.ACCEPTED_CREDITS), f"accepted {version}"),
            Query(q.rate_by_model_version(c.REJECTED_CREDITS), f"rejected {version}"),
        ],
        unit="ops",
    )


def prediction_log() -> Any:
    """Whether predictions reach the log the drift job reads; drops and failures mean drift runs on partial
    data."""
    red = {"color": {"fixedColor": style.RED, "mode": "fixed"}}
    return style.timeseries(
        "Prediction log writes",
        "Prediction records accepted (spooled) and written (Parquet) per second, records dropped per second by "
        "reason, and failed writes per second.",
        [
            Query(q.total_rate(c.PREDICTION_LOG_ACCEPTED), "records accepted"),
            Query(q.total_rate(c.PREDICTION_LOG_WRITTEN), "records written"),
            Query(q.rate_by(c.PREDICTION_LOG_DROPPED, c.REASON), f"dropped {style.legend(c.REASON)}"),
            Query(q.total_rate(c.PREDICTION_LOG_WRITE_FAILURES), "failed writes"),
        ],
        unit="ops",
        overrides=[style.by_name("failed writes", red), style.by_regexp("^dropped .*", red)],
    )


def dashboard(stack: Stack) -> Any:
    """The model and business view: a glance row, then decisions, scores, and versions with the prediction log."""
    return frame.dashboard(
        stack.settings.alerting.runbook_base_url,
        frame.MODEL_BUSINESS,
        frame.scoring_variables(stack.alerts.scope),
        [
            grid.Section(
                "At a glance",
                [
                    grid.stat(accepted_total()),
                    grid.stat(rejected_total()),
                    grid.stat(refusal_rate_now(stack.alerts)),
                    grid.stat(score_mean_now()),
                    grid.Cell(decision_threshold(), 8, 4),
                ],
            ),
            grid.Section("Decisions", [grid.half(decisions()), grid.half(refusal_rate(stack.alerts))]),
            grid.Section("Scores", [grid.half(score_mean_and_threshold()), grid.half(score_distribution())]),
            grid.Section(
                "By model version and prediction log",
                [grid.half(decisions_by_model_version()), grid.half(prediction_log())],
            ),
        ],
    )

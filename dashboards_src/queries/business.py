"""PromQL of the model and business dashboard: decisions, refusal rate, scores, θ*, the prediction log."""

from __future__ import annotations

from dashboards_src import variables as v
from dashboards_src.queries.selectors import SCORING, aggregate, rate, select
from serving import contract as c


def total_over_range(counter: c.Metric) -> str:
    """How much a counter grew over the dashboard's time range."""
    return aggregate("sum", (), f"increase({select(counter.name, SCORING)}[{v.RANGE}])")


def rate_by_model_version(counter: c.Metric) -> str:
    """Per-version rates, to compare two versions during a rollout."""
    return aggregate("sum", (c.MODEL_VERSION,), rate(counter.name, SCORING))


def decision_threshold() -> str:
    """θ* as each model version reports it."""
    return aggregate("max", (c.MODEL_VERSION,), select(c.DECISION_THRESHOLD.name, SCORING))


def score_buckets() -> str:
    """Scores returned per histogram bucket and time step, for a heatmap."""
    return aggregate("sum", (c.LE,), f"increase({select(c.SCORE.bucket, SCORING)}[{v.RATE_INTERVAL}])")


def total_rate(counter: c.Metric) -> str:
    """A counter's rate over the whole service."""
    return aggregate("sum", (), rate(counter.name, SCORING))

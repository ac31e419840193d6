"""PromQL of the model and business dashboard: decisions, refusal rate, scores, θ*, the prediction log."""

from __future__ import annotations

from conventions import contract as c
from conventions import promql as p
from dashboards_src import variables as v


def _rate(metric: str) -> p.Call:
    """Per-second rate of the picked service's counter over Grafana's rate window."""
    return p.rate(v.SCOPE.scoring(metric), v.RATE_INTERVAL)


def total_over_range(counter: c.Metric) -> str:
    """How much a counter grew over the dashboard's time range."""
    return p.sum(p.increase(v.SCOPE.scoring(counter.name), v.RANGE)).render()


def rate_by_model_version(counter: c.Metric) -> str:
    """Per-version rates, to compare two versions during a rollout."""
    return rate_by(counter, c.MODEL_VERSION)


def rate_by(counter: c.Metric, label: str) -> str:
    """The service's rate of `counter`, one series per value of `label`."""
    return p.sum(_rate(counter.name), by=(label,)).render()


def decision_threshold() -> str:
    """θ* as each model version reports it."""
    return p.max(v.SCOPE.scoring(c.DECISION_THRESHOLD.name), by=(c.MODEL_VERSION,)).render()


def score_buckets() -> str:
    """Scores returned per histogram bucket and time step, for a heatmap."""
    return p.sum(p.increase(v.SCOPE.scoring(c.SCORE.bucket), v.RATE_INTERVAL), by=(c.LE,)).render()


def total_rate(counter: c.Metric) -> str:
    """A counter's rate over the whole service."""
    return p.sum(_rate(counter.name)).render()

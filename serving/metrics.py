"""The scoring app's own metrics, registered in a Ray Serve replica under the contract's names.

Serve adds the application, deployment and replica tags; Ray's exporter adds the `ray_` prefix and `_total`.
Counters are exported at 0 from replica start, so ratios such as the refusal rate have both sides from the
first scrape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ray.serve import metrics

from serving import contract
from serving.artifact_format import ACCEPTED
from serving.schema import Prediction

_SERVE_TAGS = (contract.APPLICATION, contract.DEPLOYMENT, contract.REPLICA)
_ASCII = str.maketrans({"θ": "theta", "≥": ">=", "≤": "<=", "–": "-", "—": "-", "…": "..."})


class Recorder(Protocol):
    """What the scoring path reports: decisions and scores, and the prediction log's progress."""

    def scored(self, predictions: Sequence[Prediction]) -> None: ...

    def log_written(self, rows: int) -> None: ...

    def log_failed(self) -> None: ...


def _description(metric: contract.Metric) -> str:
    """The contract's help text in ASCII: Ray refuses other characters in metric descriptions."""
    return metric.help.translate(_ASCII).encode("ascii", "replace").decode("ascii")


def _tag_keys(metric: contract.Metric) -> Any:
    """The metric's own labels (Serve adds its three); Any because Ray annotates tag_keys as a 1-tuple."""
    return tuple(label for label in metric.labels if label not in _SERVE_TAGS)


def _counter(metric: contract.Metric, tags: dict[str, str]) -> Any:
    counter = metrics.Counter(metric.declared, description=_description(metric), tag_keys=_tag_keys(metric))
    counter.set_default_tags({k: v for k, v in tags.items() if k in _tag_keys(metric)})
    # Counter.inc refuses 0; recording 0 directly exports the series before its first event.
    counter._record(0.0)
    return counter


def _gauge(metric: contract.Metric, tags: dict[str, str], value: float) -> Any:
    gauge = metrics.Gauge(metric.declared, description=_description(metric), tag_keys=_tag_keys(metric))
    gauge.set(value, tags={k: v for k, v in tags.items() if k in _tag_keys(metric)})
    return gauge


class ServeMetrics:
    """The contract's SCORING_APP series for one replica serving `model_version` at θ* = `threshold`."""

    def __init__(self, model_version: str, threshold: float) -> None:
        tags = {contract.MODEL_VERSION: model_version}
        self._accepted = _counter(contract.ACCEPTED_CREDITS, tags)
        self._rejected = _counter(contract.REJECTED_CREDITS, tags)
        self._score = metrics.Histogram(
            contract.SCORE.declared,
            description=_description(contract.SCORE),
            boundaries=list(contract.SCORE.buckets),
            tag_keys=_tag_keys(contract.SCORE),
        )
        self._log_records = _counter(contract.PREDICTION_LOG_RECORDS, tags)
        self._log_failures = _counter(contract.PREDICTION_LOG_WRITE_FAILURES, tags)
        self._version = _gauge(contract.MODEL_VERSION_INFO, tags, 1)
        self._threshold = _gauge(contract.DECISION_THRESHOLD, tags, threshold)

    def scored(self, predictions: Sequence[Prediction]) -> None:
        accepted = sum(p.decision == ACCEPTED for p in predictions)
        if accepted:
            self._accepted.inc(accepted)
        if len(predictions) > accepted:
            self._rejected.inc(len(predictions) - accepted)
        for prediction in predictions:
            self._score.observe(prediction.probability_of_default)

    def log_written(self, rows: int) -> None:
        self._log_records.inc(rows)

    def log_failed(self) -> None:
        self._log_failures.inc()

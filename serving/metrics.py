"""The scoring app's own metrics, registered in a Ray Serve replica under the contract's names.

Serve adds the application, deployment and replica tags; Ray's exporter adds the `ray_` prefix and `_total`.
Counters are exported at 0 from replica start, so ratios such as the refusal rate have both sides from the
first scrape. Ray 2.60's metrics agent drops a gauge that is not set again within two export intervals, so
the replica's constant gauges (model version, θ*) are set again every GAUGE_REFRESH_S while it runs.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Protocol

from ray.serve import metrics

from conventions import contract
from conventions.artifact_format import ACCEPTED
from serving.schema import Prediction

GAUGE_REFRESH_S = 1.0
"""Below Ray's shortest export interval (1 s), so a constant gauge never ages out of the agent."""
_SERVE_TAGS = (contract.APPLICATION, contract.DEPLOYMENT, contract.REPLICA)
_ASCII = str.maketrans({"θ": "theta", "≥": ">=", "≤": "<=", "–": "-", "—": "-", "…": "..."})


class Recorder(Protocol):
    """What the scoring path reports: decisions and scores (the prediction log reports through LogHooks)."""

    def scored(self, predictions: Sequence[Prediction]) -> None: ...


def _description(metric: contract.Metric) -> str:
    """The contract's help text in ASCII: Ray refuses other characters in metric descriptions."""
    return metric.help.translate(_ASCII).encode("ascii", "replace").decode("ascii")


def _tag_keys(metric: contract.Metric) -> Any:
    """The metric's own labels (Serve adds its three); Any because Ray annotates tag_keys as a 1-tuple."""
    return tuple(label for label in metric.labels if label not in _SERVE_TAGS)


def _own_tags(metric: contract.Metric, tags: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in tags.items() if k in _tag_keys(metric)}


def _counter(metric: contract.Metric, tags: dict[str, str], series: Sequence[dict[str, str]] = ({},)) -> Any:
    """`series`: the tags beyond the defaults of each series to export at 0 (one per label value)."""
    counter = metrics.Counter(metric.declared, description=_description(metric), tag_keys=_tag_keys(metric))
    counter.set_default_tags(_own_tags(metric, tags))
    # Counter.inc refuses 0; recording 0 directly exports the series before its first event.
    for extra in series:
        counter._record(0.0, tags=extra)
    return counter


class _ConstantGauges:
    """Gauges whose value never changes while the replica runs, set again every GAUGE_REFRESH_S."""

    def __init__(self, values: Sequence[tuple[contract.Metric, float]], tags: dict[str, str]) -> None:
        self._gauges = [
            (
                metrics.Gauge(metric.declared, description=_description(metric), tag_keys=_tag_keys(metric)),
                value,
                _own_tags(metric, tags),
            )
            for metric, value in values
        ]
        self._stopping = threading.Event()
        self._set()
        threading.Thread(target=self._refresh, name="constant-gauges", daemon=True).start()

    def _set(self) -> None:
        for gauge, value, tags in self._gauges:
            gauge.set(value, tags=tags)

    def _refresh(self) -> None:
        while not self._stopping.wait(GAUGE_REFRESH_S):
            self._set()

    def stop(self) -> None:
        self._stopping.set()


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
        self._log_accepted = _counter(contract.PREDICTION_LOG_ACCEPTED, tags)
        self._log_written = _counter(contract.PREDICTION_LOG_WRITTEN, tags)
        self._log_dropped = _counter(
            contract.PREDICTION_LOG_DROPPED, tags, [{contract.REASON: r} for r in contract.DROP_REASONS]
        )
        self._log_failures = _counter(contract.PREDICTION_LOG_WRITE_FAILURES, tags)
        self._constants = _ConstantGauges(
            ((contract.MODEL_VERSION_INFO, 1.0), (contract.DECISION_THRESHOLD, threshold)), tags
        )

    def scored(self, predictions: Sequence[Prediction]) -> None:
        accepted = sum(p.decision == ACCEPTED for p in predictions)
        if accepted:
            self._accepted.inc(accepted)
        if len(predictions) > accepted:
            self._rejected.inc(len(predictions) - accepted)
        for prediction in predictions:
            self._score.observe(prediction.probability_of_default)

    def log_accepted(self, rows: int) -> None:
        self._log_accepted.inc(rows)

    def log_written(self, rows: int) -> None:
        self._log_written.inc(rows)

    def log_dropped(self, reason: str, rows: int) -> None:
        self._log_dropped.inc(rows, tags={contract.REASON: reason})

    def log_failed(self) -> None:
        self._log_failures.inc()

    def stop(self) -> None:
        self._constants.stop()

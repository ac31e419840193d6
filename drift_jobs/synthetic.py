"""A deterministic dataset in the artifact and prediction-log formats, with chosen features shifted by a chosen
amount: what the tests and the benchmark run the job on. serving.dataset and serving.training make the real
model's 18 features and train it (tests/drift_jobs/test_with_the_service.py runs the job on those); this one
controls every shift exactly and scales to the benchmark's 40 features and 1,000,000 rows without a model."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.metrics import roc_auc_score

from conventions import artifact_format as fmt
from conventions.artifact_format import FeatureSpec, ModelMetadata
from drift_jobs.performance import confusion

Columns = dict[str, npt.NDArray[Any]]

COUNT = "n_products"
FLAG = "has_guarantor"
SEGMENT = "segment"
SEGMENTS = ("retail", "premium", "business")
_SEGMENT_EFFECT = {"retail": 0.0, "premium": -0.4, "business": 0.3}


@dataclass(frozen=True)
class Scenario:
    """A reference sample and a window of production traffic in which the `shifted` features moved."""

    numeric_features: int = 12
    mixed: bool = True
    """Add an integer, a boolean and a categorical feature to the float ones."""
    shifted: tuple[str, ...] = ()
    shift: float = 0.5
    """How far shifted features move, in standard deviations (a share of the mass for the category)."""
    reference_rows: int = 5000
    current_rows: int = 5000
    stale_rows: int = 0
    """Rows logged in the hour before the window (in its first partition), every feature far off: the job
    must leave them out."""
    labelled_share: float = 0.5
    matured_rows: int = 0
    """Rows of the matured cohort (write_matured_cohort), every one labelled."""
    matured_wrong: float = 0.0
    """Share of the matured cohort whose label contradicts its decision (a defaulter accepted, a good applicant
    rejected) instead of being drawn from its score: 0 is the model as good as on the reference."""
    part_rows: int = 1000
    seed: int = 0
    model_version: str = "synthetic-1"
    cost_false_negative: float = 10.0
    cost_false_positive: float = 1.0

    @property
    def numeric(self) -> list[str]:
        return [f"x{i:02d}" for i in range(self.numeric_features)]

    @property
    def features(self) -> list[FeatureSpec]:
        specs = [FeatureSpec(name=name, dtype="float64") for name in self.numeric]
        if self.mixed:
            specs += [
                FeatureSpec(name=COUNT, dtype="int64"),
                FeatureSpec(name=FLAG, dtype="bool"),
                FeatureSpec(name=SEGMENT, dtype="object", categorical=True),
            ]
        return specs

    @property
    def threshold(self) -> float:
        """θ* minimising the expected cost of calibrated scores: c_FP / (c_FP + c_FN)."""
        return self.cost_false_positive / (self.cost_false_positive + self.cost_false_negative)

    def weights(self) -> dict[str, float]:
        """How much each feature moves the score; the importances are these, so x00 ranks first."""
        weights = {name: 0.8 / (i + 1) for i, name in enumerate(self.numeric)}
        if self.mixed:
            weights |= {COUNT: 0.05, FLAG: 0.04, SEGMENT: 0.03}
        return weights


def write_model_artifact(folder: Path, scenario: Scenario) -> ModelMetadata:
    """metadata.json and reference.parquet (the drift job reads no model.txt: scores come with the data)."""
    rng = np.random.default_rng([scenario.seed, 0])
    columns = _features(rng, scenario, scenario.reference_rows, shifted=())
    scores = _scores(scenario, columns)
    labels = (rng.random(len(scores)) < scores).astype(np.int8)
    folder.mkdir(parents=True, exist_ok=True)
    reference = _table(scenario, columns).append_column(fmt.SCORE, pa.array(scores))
    reference = reference.append_column(fmt.LABEL, pa.array(labels))
    pq.write_table(reference, folder / fmt.REFERENCE_FILE)
    counts = confusion(scores, labels, scenario.threshold)
    metadata = ModelMetadata(
        version=scenario.model_version,
        threshold=scenario.threshold,
        features=scenario.features,
        importances={name: round(100 * weight, 3) for name, weight in scenario.weights().items()},
        cost_false_negative=scenario.cost_false_negative,
        cost_false_positive=scenario.cost_false_positive,
        reference_business_cost=counts.cost(scenario.cost_false_negative, scenario.cost_false_positive),
        reference_auc=float(roc_auc_score(labels, scores)),
    )
    (folder / fmt.METADATA_FILE).write_text(metadata.model_dump_json(indent=2) + "\n")
    return metadata


def write_prediction_log(folder: Path, scenario: Scenario, window_end: datetime, window: timedelta) -> None:
    """predictions/date=…/part-*.parquet spread evenly over the window, and labels/ for a share of them."""
    rng = np.random.default_rng([scenario.seed, 1])
    columns = _features(rng, scenario, scenario.current_rows, scenario.shifted)
    start, span = _micros(window_end - window), _micros(window)
    times = start + ((np.arange(scenario.current_rows) + 0.5) * (span / scenario.current_rows)).astype(
        np.int64
    )
    ids = np.array([f"req-{scenario.seed}-{i:09d}" for i in range(scenario.current_rows)], dtype=object)
    scores = _scores(scenario, columns)
    _write_predictions(folder, scenario, columns, times, ids, scores, "part")
    if scenario.stale_rows:
        stale = _features(rng, scenario, scenario.stale_rows, tuple(scenario.weights()), shift=3.0)
        stale_times = start - _micros(timedelta(hours=1)) + np.arange(scenario.stale_rows, dtype=np.int64)
        stale_ids = np.array(
            [f"stale-{scenario.seed}-{i:09d}" for i in range(scenario.stale_rows)], dtype=object
        )
        _write_predictions(folder, scenario, stale, stale_times, stale_ids, _scores(scenario, stale), "stale")
    labelled = rng.random(scenario.current_rows) < scenario.labelled_share
    outcomes = (rng.random(scenario.current_rows) < scores).astype(np.int8)
    if labelled.any():
        labels = pa.table({
            fmt.REQUEST_ID: pa.array(ids[labelled], pa.string()),
            fmt.LABEL: pa.array(outcomes[labelled], pa.int8()),
            fmt.LABELLED_AT: pa.array(np.full(int(labelled.sum()), _micros(window_end)), _TIMESTAMP),
        })  # fmt: skip
        (folder / fmt.LABELS_DIR).mkdir(parents=True, exist_ok=True)
        pq.write_table(labels, folder / fmt.LABELS_DIR / "part-00000.parquet")


def write_matured_cohort(folder: Path, scenario: Scenario, cohort_end: datetime, window: timedelta) -> None:
    """Predictions spread over [cohort_end - window, cohort_end), unshifted, each with its true label."""
    rng = np.random.default_rng([scenario.seed, 2])
    rows = scenario.matured_rows
    columns = _features(rng, scenario, rows, shifted=())
    start, span = _micros(cohort_end - window), _micros(window)
    times = start + ((np.arange(rows) + 0.5) * (span / rows)).astype(np.int64)
    ids = np.array([f"matured-{scenario.seed}-{i:09d}" for i in range(rows)], dtype=object)
    scores = _scores(scenario, columns)
    _write_predictions(folder, scenario, columns, times, ids, scores, "matured")
    outcomes = (rng.random(rows) < scores).astype(np.int8)
    wrong = rng.random(rows) < scenario.matured_wrong
    outcomes[wrong] = (scores[wrong] < scenario.threshold).astype(np.int8)
    labels = pa.table({
        fmt.REQUEST_ID: pa.array(ids, pa.string()),
        fmt.LABEL: pa.array(outcomes, pa.int8()),
        fmt.LABELLED_AT: pa.array(np.full(rows, _micros(cohort_end + window)), _TIMESTAMP),
    })  # fmt: skip
    (folder / fmt.LABELS_DIR).mkdir(parents=True, exist_ok=True)
    pq.write_table(labels, folder / fmt.LABELS_DIR / "matured-00000.parquet")


def _write_predictions(
    folder: Path,
    scenario: Scenario,
    columns: Columns,
    times: npt.NDArray[np.int64],
    ids: npt.NDArray[Any],
    scores: npt.NDArray[np.float64],
    prefix: str,
) -> None:
    """Rows in time order, cut into date partitions and parts of `part_rows`, as the service flushes them."""
    head = pa.table({
        fmt.REQUEST_ID: pa.array(ids, pa.string()),
        fmt.TIMESTAMP: pa.array(times, _TIMESTAMP),
        fmt.MODEL_VERSION: pa.array(np.full(len(ids), scenario.model_version, dtype=object), pa.string()),
        fmt.SCORE: pa.array(scores, pa.float64()),
        fmt.DECISION: pa.array(np.where(scores >= scenario.threshold, fmt.REJECTED, fmt.ACCEPTED), pa.string()),
    })  # fmt: skip
    features = _table(scenario, columns)
    table = pa.Table.from_arrays(
        head.columns + features.columns, names=head.column_names + features.column_names
    )
    days = times // _micros(timedelta(days=1))
    for day in np.unique(days):
        first, last = np.searchsorted(days, [day, day + 1])
        partition = (
            folder / fmt.PREDICTIONS_DIR / f"{fmt.PARTITION_KEY}={(_EPOCH + timedelta(days=int(day))).date()}"
        )
        partition.mkdir(parents=True, exist_ok=True)
        for part, offset in enumerate(range(first, last, scenario.part_rows)):
            rows = table.slice(offset, min(scenario.part_rows, last - offset))
            pq.write_table(rows, partition / f"{prefix}-{part:05d}.parquet")


def _micros(span: timedelta | datetime) -> int:
    """Microseconds in a span, or since the epoch for a time."""
    if isinstance(span, datetime):
        span = span - _EPOCH
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


def _features(
    rng: np.random.Generator,
    scenario: Scenario,
    rows: int,
    shifted: tuple[str, ...],
    shift: float | None = None,
) -> Columns:
    """Each float feature x_i ~ N(i, 1 + i/4); a shifted one moves by `shift` of its standard deviation."""
    delta = scenario.shift if shift is None else shift
    columns: Columns = {}
    for i, name in enumerate(scenario.numeric):
        scale = 1 + i / 4
        columns[name] = rng.normal(i + (delta * scale if name in shifted else 0.0), scale, rows)
    if scenario.mixed:
        columns[COUNT] = rng.poisson(2.0 + (delta * math.sqrt(2.0) if COUNT in shifted else 0.0), rows)
        flag_share = min(1.0, 0.3 + (delta * math.sqrt(0.21) if FLAG in shifted else 0.0))
        columns[FLAG] = rng.random(rows) < flag_share
        moved = 0.4 * delta if SEGMENT in shifted else 0.0
        shares = np.array([max(0.0, 0.6 - moved), 0.3, min(1.0, 0.1 + moved)])
        columns[SEGMENT] = rng.choice(np.array(SEGMENTS, dtype=object), rows, p=shares / shares.sum())
    return columns


def _scores(scenario: Scenario, columns: Columns) -> npt.NDArray[np.float64]:
    """A logistic model of default: the probability every row's label is drawn from."""
    weights = scenario.weights()
    logit = np.full(len(columns[scenario.numeric[0]]), -2.0)
    for i, name in enumerate(scenario.numeric):
        logit += weights[name] * (columns[name] - i) / (1 + i / 4)
    if scenario.mixed:
        logit += weights[COUNT] * (columns[COUNT] - 2.0) - 10 * weights[FLAG] * columns[FLAG]
        logit += np.array([_SEGMENT_EFFECT[s] for s in columns[SEGMENT]])
    scores: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-logit))
    return scores


def _table(scenario: Scenario, columns: Columns) -> pa.Table:
    arrays = [pa.array(columns[spec.name], _ARROW[spec.dtype]) for spec in scenario.features]
    return pa.Table.from_arrays(arrays, names=[spec.name for spec in scenario.features])


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TIMESTAMP = pa.timestamp("us", tz="UTC")
_ARROW = {"float64": pa.float64(), "int64": pa.int64(), "bool": pa.bool_(), "object": pa.string()}

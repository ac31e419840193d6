"""The current window of the prediction log the scoring service writes (conventions.artifact_format): the rows
scored in [start, end), and the true labels that have arrived for them; and the matured cohort, an older window
whose labels have had time to arrive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from fsspec import AbstractFileSystem

from conventions import artifact_format as fmt
from conventions.artifact_format import FeatureSpec
from drift_jobs.config import iso
from drift_jobs.errors import DriftJobError, shown
from drift_jobs.schema_checks import (
    FLOAT64,
    LABEL,
    STRING,
    UTC_TIMESTAMP,
    ColumnType,
    check_binary_labels,
    check_columns,
    check_has_values,
    feature_type,
)
from drift_jobs.storage import filesystem, join, location, readable

_PREDICTION_TYPES = {
    fmt.REQUEST_ID: STRING,
    fmt.TIMESTAMP: UTC_TIMESTAMP,
    fmt.MODEL_VERSION: STRING,
    fmt.SCORE: FLOAT64,
    fmt.DECISION: STRING,
}
_OPTIONAL_PREDICTION_TYPES = {fmt.CORRELATION_ID: STRING}
"""Columns of newer parts only; the job reads none of them."""
_LABEL_TYPES = {fmt.REQUEST_ID: STRING, fmt.LABEL: LABEL, fmt.LABELLED_AT: UTC_TIMESTAMP}
_PREDICTIONS_TEXT = f"{', '.join(fmt.PREDICTION_COLUMNS)} and the model's features"


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def days(self) -> list[date]:
        """The date partitions that can hold rows of the window."""
        first, last = self.start.date(), (self.end - timedelta(microseconds=1)).date()
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]

    def __str__(self) -> str:
        return f"{iso(self.start)}..{iso(self.end)}"


def read_window(uri: str, window: Window, features: list[FeatureSpec], request_ids: bool) -> pa.Table:
    """The window's features and scores (and request ids, to join labels), every part file checked first."""
    fs, root = filesystem(uri)
    files = _partition_files(uri, fs, root, window)
    if not files:
        raise DriftJobError(f"{shown(uri)}: no predictions in the window {window}")
    expected = _PREDICTION_TYPES | {f.name: feature_type(f) for f in features}
    dataset = _checked_dataset(fs, files, expected, _PREDICTIONS_TEXT, _OPTIONAL_PREDICTION_TYPES)
    columns = [f.name for f in features] + [fmt.SCORE] + ([fmt.REQUEST_ID] if request_ids else [])
    with readable(uri):
        table = dataset.to_table(columns=columns, filter=_within(window))
    if table.num_rows == 0:
        raise DriftJobError(f"{shown(uri)}: no predictions in the window {window}")
    check_has_values(f"{shown(uri)} window {window}", table, [*(f.name for f in features), fmt.SCORE])
    return table


def read_cohort(uri: str, window: Window, features: list[FeatureSpec], model_version: str) -> pa.Table:
    """Request ids and scores of the window's predictions made by `model_version`, possibly none: a cohort
    scored by an earlier model says nothing of this one, and a young service has no matured cohort yet."""
    fs, root = filesystem(uri)
    files = _partition_files(uri, fs, root, window)
    columns = [fmt.REQUEST_ID, fmt.SCORE]
    if not files:
        return pa.table({fmt.REQUEST_ID: pa.array([], pa.string()), fmt.SCORE: pa.array([], pa.float64())})
    expected = _PREDICTION_TYPES | {f.name: feature_type(f) for f in features}
    dataset = _checked_dataset(fs, files, expected, _PREDICTIONS_TEXT, _OPTIONAL_PREDICTION_TYPES)
    scored_by = ds.field(fmt.MODEL_VERSION) == pa.scalar(model_version, pa.string())
    with readable(uri):
        return dataset.to_table(columns=columns, filter=_within(window) & scored_by)


def _within(window: Window) -> ds.Expression:
    """Rows scored in [start, end)."""
    arrow_type = UTC_TIMESTAMP.arrow[0]
    start, end = pa.scalar(window.start, arrow_type), pa.scalar(window.end, arrow_type)
    return (ds.field(fmt.TIMESTAMP) >= start) & (ds.field(fmt.TIMESTAMP) < end)


def read_labels(uri: str) -> pa.Table | None:
    """Every true label received (the latest one per request id), or None when none has arrived yet."""
    fs, root = filesystem(uri)
    with readable(uri):
        files = sorted(fs.glob(join(root, fmt.LABELS_DIR, "*.parquet")))
    if not files:
        return None
    dataset = _checked_dataset(fs, files, _LABEL_TYPES, ", ".join(fmt.LABEL_COLUMNS))
    with readable(uri):
        labels = dataset.to_table()
    check_binary_labels(f"{shown(join(uri, fmt.LABELS_DIR))}", labels.column(fmt.LABEL))
    return _latest_per_request(labels)


def labelled(window: pa.Table, labels: pa.Table) -> pa.Table:
    """The window's scores with their true label, for the requests that have one and a finite score."""
    scores = window.select([fmt.REQUEST_ID, fmt.SCORE])
    joined = scores.join(labels.select([fmt.REQUEST_ID, fmt.LABEL]), keys=fmt.REQUEST_ID, join_type="inner")
    return joined.filter(pc.is_finite(joined.column(fmt.SCORE)))


def _latest_per_request(labels: pa.Table) -> pa.Table:
    """A label sent again replaces the earlier one."""
    newest_first = labels.sort_by([(fmt.LABELLED_AT, "descending")])
    latest = newest_first.group_by(fmt.REQUEST_ID, use_threads=False).aggregate([(fmt.LABEL, "first")])
    return latest.rename_columns({f"{fmt.LABEL}_first": fmt.LABEL})


def _partition_files(uri: str, fs: AbstractFileSystem, root: str, window: Window) -> list[str]:
    predictions = join(root, fmt.PREDICTIONS_DIR)
    with readable(uri):
        if not fs.isdir(predictions):
            raise DriftJobError(
                f"{shown(uri)}: no prediction log here "
                f"(expected {fmt.PREDICTIONS_DIR}/{fmt.PARTITION_KEY}=YYYY-MM-DD/*.parquet)"
            )
        files: list[str] = []
        for day in window.days():
            folder = join(predictions, f"{fmt.PARTITION_KEY}={day.isoformat()}")
            if fs.isdir(folder):
                files.extend(sorted(fs.glob(join(folder, "*.parquet"))))
    return files


def _checked_dataset(
    fs: AbstractFileSystem,
    files: list[str],
    expected: dict[str, ColumnType],
    expected_text: str,
    optional: dict[str, ColumnType] | None = None,
) -> ds.Dataset:
    """A dataset over `files` once each file's own schema is checked: Arrow would fill a missing column with
    nulls or fail mid-scan on a wrong type, far from the file at fault."""
    source = location(fs, files[0])
    with readable(source):
        dataset = ds.dataset(files, filesystem=fs, format="parquet")
    for fragment in dataset.get_fragments():
        source = location(fs, fragment.path)
        with readable(source):
            schema = fragment.physical_schema
        check_columns(source, schema, expected, expected_text, optional)
    return dataset

"""Delayed true labels: read from a CSV or Parquet file of (request_id, label), checked, and appended to the
prediction log's labels/ folder, where the drift job joins them to predictions for performance monitoring.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import fsspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from conventions.artifact_format import (
    LABEL,
    LABEL_COLUMNS,
    LABELLED_AT,
    LABELS_DIR,
    PREDICTIONS_DIR,
    REQUEST_ID,
)
from conventions.errors import UserError

SCHEMA = pa.schema(
    [(REQUEST_ID, pa.string()), (LABEL, pa.int8()), (LABELLED_AT, pa.timestamp("us", tz="UTC"))]
)


@dataclass(frozen=True)
class Ingested:
    rows: int
    matched: int
    """Rows whose request id is in the prediction log."""
    path: str


def _read(path: Path) -> pa.Table:
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    if path.suffix == ".parquet":
        return pq.read_table(path)
    if path.suffix == ".csv":
        types = {REQUEST_ID: pa.string(), LABEL: pa.string()}
        return pa_csv.read_csv(path, convert_options=pa_csv.ConvertOptions(column_types=types))
    raise UserError(f"{path}: expected a .csv or .parquet file of request_id,label rows")


def _checked(table: pa.Table, path: Path) -> pa.Table:
    """request_id (non-empty, unique) and label (0 or 1), or a UserError naming the first bad row."""
    missing = [c for c in (REQUEST_ID, LABEL) if c not in table.column_names]
    if missing:
        raise UserError(f"{path}: missing column {missing[0]!r} (columns: {REQUEST_ID}, {LABEL})")
    if table.num_rows == 0:
        raise UserError(f"{path}: no rows")
    seen: set[str] = set()
    labels = []
    for row, (request_id, label) in enumerate(
        zip(table[REQUEST_ID].to_pylist(), table[LABEL].to_pylist(), strict=True), 1
    ):
        if not request_id:
            raise UserError(f"{path}: row {row}: {REQUEST_ID} is empty")
        if request_id in seen:
            raise UserError(f"{path}: row {row}: {REQUEST_ID} {request_id!r} appears twice")
        if str(label) not in ("0", "1"):
            raise UserError(f"{path}: row {row}: {LABEL} must be 0 or 1, got {label!r}")
        seen.add(request_id)
        labels.append(int(str(label)))
    now = datetime.now(UTC)
    return pa.table(
        {
            REQUEST_ID: table[REQUEST_ID].cast(pa.string()),
            LABEL: pa.array(labels, pa.int8()),
            LABELLED_AT: pa.array([now] * table.num_rows, SCHEMA.field(LABELLED_AT).type),
        },
        schema=SCHEMA,
    )


def _logged_ids(log_uri: str, wanted: pa.Array) -> int:
    """How many of `wanted` are request ids of the prediction log."""
    fs, root = fsspec.core.url_to_fs(log_uri)
    folder = f"{root}/{PREDICTIONS_DIR}"
    if not fs.exists(folder):
        return 0
    predictions = ds.dataset(folder, filesystem=fs, format="parquet", partitioning="hive")
    found = predictions.to_table(columns=[REQUEST_ID], filter=pc.field(REQUEST_ID).isin(wanted))
    return len(set(found[REQUEST_ID].to_pylist()))


def ingest_labels(path: Path, log_uri: str) -> Ingested:
    """Append the labels in `path` under `log_uri`/labels/; UserError when none matches a prediction."""
    table = _checked(_read(path), path)
    matched = _logged_ids(log_uri, table[REQUEST_ID])
    if matched == 0:
        raise UserError(
            f"{path}: none of the {table.num_rows} request ids is in the prediction log at {log_uri}; "
            f"is it the right stack?"
        )
    fs, root = fsspec.core.url_to_fs(log_uri)
    folder = f"{root}/{LABELS_DIR}"
    fs.makedirs(folder, exist_ok=True)
    name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:12]}.parquet"
    with fs.open(f"{folder}/.{name}.tmp", "wb") as out:
        pq.write_table(table.select(list(LABEL_COLUMNS)), out)
    fs.mv(f"{folder}/.{name}.tmp", f"{folder}/{name}")
    return Ingested(table.num_rows, matched, f"{log_uri}/{LABELS_DIR}/{name}")

"""Delayed true labels: read from a CSV or Parquet file of (request_id, label), checked, and appended to the
prediction log's labels/ folder, where the drift job joins them to predictions for performance monitoring.

request_id is the service's id of a prediction (the `request_id` of its answer), never the caller's
X-Request-ID: a file is refused whole when an id repeats, names no logged prediction, or is already labelled.
"""

from __future__ import annotations

import uuid
from collections import Counter
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


SAMPLE = 3
"""Request ids an error quotes, of all those at fault."""


@dataclass(frozen=True)
class Ingested:
    rows: int
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


def _sample(ids: list[str]) -> str:
    return ", ".join(repr(i) for i in ids[:SAMPLE])


def _checked(table: pa.Table, path: Path) -> pa.Table:
    """request_id (non-empty, each once) and label (0 or 1), or a UserError naming the first bad row or the
    repeated ids."""
    missing = [c for c in (REQUEST_ID, LABEL) if c not in table.column_names]
    if missing:
        raise UserError(f"{path}: missing column {missing[0]!r} (columns: {REQUEST_ID}, {LABEL})")
    if table.num_rows == 0:
        raise UserError(f"{path}: no rows")
    ids = [str(i) if i is not None else "" for i in table[REQUEST_ID].to_pylist()]
    labels = []
    for row, (request_id, label) in enumerate(zip(ids, table[LABEL].to_pylist(), strict=True), 1):
        if not request_id:
            raise UserError(f"{path}: row {row}: {REQUEST_ID} is empty")
        if str(label) not in ("0", "1"):
            raise UserError(f"{path}: row {row}: {LABEL} must be 0 or 1, got {label!r}")
        labels.append(int(str(label)))
    repeated = [i for i, n in Counter(ids).items() if n > 1]
    if repeated:
        raise UserError(
            f"{path}: {len(repeated)} {REQUEST_ID}s appear more than once (e.g. {_sample(repeated)}); "
            f"a prediction has one label"
        )
    now = datetime.now(UTC)
    return pa.table(
        {
            REQUEST_ID: pa.array(ids, pa.string()),
            LABEL: pa.array(labels, pa.int8()),
            LABELLED_AT: pa.array([now] * table.num_rows, SCHEMA.field(LABELLED_AT).type),
        },
        schema=SCHEMA,
    )


def _present(log_uri: str, folder: str, wanted: pa.Array) -> set[str]:
    """Which of `wanted` are request ids of the Parquet files under `log_uri`/`folder` (none if it is absent)."""
    fs, root = fsspec.core.url_to_fs(log_uri)
    if not fs.exists(f"{root}/{folder}"):
        return set()
    parts = ds.dataset(f"{root}/{folder}", filesystem=fs, format="parquet", partitioning="hive")
    found = parts.to_table(columns=[REQUEST_ID], filter=pc.field(REQUEST_ID).isin(wanted))
    return set(found[REQUEST_ID].to_pylist())


def _refuse_unjoinable(table: pa.Table, path: Path, log_uri: str) -> None:
    """Every id must name a logged prediction with no label yet: a label for an unknown id joins nothing, and a
    second label would silently replace the first."""
    ids = table[REQUEST_ID].to_pylist()
    logged = _present(log_uri, PREDICTIONS_DIR, table[REQUEST_ID])
    unknown = [i for i in ids if i not in logged]
    if unknown:
        raise UserError(
            f"{path}: {len(unknown)} of {len(ids)} {REQUEST_ID}s are not in the prediction log at {log_uri} "
            f"(e.g. {_sample(unknown)}); is it the right stack?"
        )
    labelled = _present(log_uri, LABELS_DIR, table[REQUEST_ID])
    if labelled:
        again = [i for i in ids if i in labelled]
        raise UserError(
            f"{path}: {len(again)} of {len(ids)} {REQUEST_ID}s already have a label in {log_uri}/{LABELS_DIR} "
            f"(e.g. {_sample(again)}); a prediction has one label"
        )


def ingest_labels(path: Path, log_uri: str) -> Ingested:
    """Append the labels in `path` under `log_uri`/labels/, all or none: UserError when any row is bad, repeats
    an id, names no logged prediction or one already labelled."""
    table = _checked(_read(path), path)
    _refuse_unjoinable(table, path, log_uri)
    fs, root = fsspec.core.url_to_fs(log_uri)
    folder = f"{root}/{LABELS_DIR}"
    fs.makedirs(folder, exist_ok=True)
    name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:12]}.parquet"
    with fs.open(f"{folder}/.{name}.tmp", "wb") as out:
        pq.write_table(table.select(list(LABEL_COLUMNS)), out)
    fs.mv(f"{folder}/.{name}.tmp", f"{folder}/{name}")
    return Ingested(table.num_rows, f"{log_uri}/{LABELS_DIR}/{name}")

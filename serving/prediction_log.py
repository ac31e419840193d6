"""The prediction log writer: records are buffered in memory and appended as Parquet parts, partitioned by
date, from a background thread, so a request never waits for storage.

A part is written under a hidden temporary name and then moved into place, so a reader (the drift job) never
sees half a file. A failed write keeps its records for the next attempt and is counted; `close` flushes
everything that is left, which is what a graceful shutdown calls.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from conventions.artifact_format import (
    DECISION,
    MODEL_VERSION,
    PARTITION_KEY,
    PREDICTIONS_DIR,
    REQUEST_ID,
    SCORE,
    TIMESTAMP,
)
from serving.features import FEATURES
from serving.scorer import Record

logger = logging.getLogger(__name__)

_ARROW_TYPES = {"float64": pa.float64(), "int64": pa.int64(), "bool": pa.bool_(), "object": pa.string()}

SCHEMA = pa.schema(
    [
        (REQUEST_ID, pa.string()),
        (TIMESTAMP, pa.timestamp("us", tz="UTC")),
        (MODEL_VERSION, pa.string()),
        (SCORE, pa.float64()),
        (DECISION, pa.string()),
        *((f.name, _ARROW_TYPES[f.dtype]) for f in FEATURES),
    ]
)
"""Columns of a prediction-log part: PREDICTION_COLUMNS, then the features in schema order."""


@dataclass(frozen=True)
class LogHooks:
    """Called from the writer thread, e.g. to count into metrics."""

    written: Callable[[int], None] = lambda rows: None
    failed: Callable[[], None] = lambda: None


@dataclass(frozen=True)
class LogOptions:
    uri: str
    flush_rows: int
    flush_interval_s: float
    max_pending_rows: int = 200_000
    """Beyond this many unwritten records (storage down for long), the oldest are dropped and logged."""


class PredictionLogWriter:
    """Appends records to the prediction log at `options.uri`, off the caller's thread."""

    def __init__(self, options: LogOptions, hooks: LogHooks | None = None) -> None:
        self._options = options
        self._hooks = hooks or LogHooks()
        self._fs, self._root = fsspec.core.url_to_fs(options.uri)
        self._writer_id = uuid.uuid4().hex[:12]
        self._sequence = 0
        self._pending: list[Record] = []
        self._closing = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
        self._thread.start()

    @property
    def healthy(self) -> bool:
        return self._thread.is_alive() and not self._closing

    @property
    def pending(self) -> int:
        with self._changed:
            return len(self._pending)

    def append(self, records: list[Record]) -> None:
        """Queue records; returns at once."""
        with self._changed:
            self._pending.extend(records)
            overflow = len(self._pending) - self._options.max_pending_rows
            if overflow > 0:
                del self._pending[:overflow]
                logger.error(
                    "prediction log: %d records dropped, storage has been failing for too long", overflow
                )
            if len(self._pending) >= self._options.flush_rows:
                self._changed.notify()

    def close(self, timeout_s: float) -> int:
        """Write everything queued, retrying failures until `timeout_s`; the records left unwritten."""
        with self._changed:
            self._closing = True
            self._changed.notify()
        self._thread.join(timeout_s)
        return self.pending

    def _run(self) -> None:
        deadline = time.monotonic() + self._options.flush_interval_s
        while True:
            with self._changed:
                self._changed.wait_for(self._due, timeout=max(0.0, deadline - time.monotonic()))
                batch, self._pending = self._pending, []
                closing = self._closing
            unwritten = self._write(batch)
            if unwritten:
                with self._changed:
                    self._pending[:0] = unwritten
                time.sleep(min(1.0, self._options.flush_interval_s))
                continue
            if closing:
                return
            deadline = time.monotonic() + self._options.flush_interval_s

    def _due(self) -> bool:
        return self._closing or len(self._pending) >= self._options.flush_rows

    def _write(self, batch: list[Record]) -> list[Record]:
        """Write one part per date; the records that could not be written."""
        by_date: dict[str, list[Record]] = {}
        for record in batch:
            by_date.setdefault(record[TIMESTAMP].date().isoformat(), []).append(record)
        unwritten: list[Record] = []
        for date, records in by_date.items():
            try:
                self._write_part(date, records)
            except Exception:
                logger.exception(
                    "prediction log: writing %d records to %s failed", len(records), self._options.uri
                )
                self._hooks.failed()
                unwritten.extend(records)
                continue
            self._hooks.written(len(records))
        return unwritten

    def _write_part(self, date: str, records: list[Record]) -> None:
        folder = f"{self._root}/{PREDICTIONS_DIR}/{PARTITION_KEY}={date}"
        self._sequence += 1
        stamp = records[0][TIMESTAMP].strftime("%Y%m%dT%H%M%S%fZ")
        name = f"{stamp}-{self._writer_id}-{self._sequence:06d}.parquet"
        self._fs.makedirs(folder, exist_ok=True)
        temporary = f"{folder}/.{name}.tmp"
        with self._fs.open(temporary, "wb") as out:
            pq.write_table(pa.Table.from_pylist(records, schema=SCHEMA), out)
        self._fs.mv(temporary, f"{folder}/{name}")

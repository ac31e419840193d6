"""The prediction log writer: records are spooled to local disk, then appended as Parquet parts, partitioned by
date, from a background thread, so a request never waits for storage and a killed replica loses nothing it
answered (serving.prediction_spool).

A part is written under a hidden temporary name and then moved into place, so a reader (the drift job) never
sees half a file; its name derives from the spool segment it comes from, so a segment written twice (a replay
after a crash between the move and the segment's removal) replaces its parts rather than doubling them. A
failed write keeps its segment for the next attempt and is counted; `close` writes everything that is left,
which is what a graceful shutdown calls.

Durability: a replica process crash loses 0 answered records (the next writer on the disk replays the spool);
a lost node loses at most the records not yet written, about flush_rows records or flush_interval_s of traffic
per replica, never more than max_unwritten_rows.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import fsspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from conventions import contract
from conventions.artifact_format import (
    CORRELATION_ID,
    DECISION,
    MODEL_VERSION,
    PARTITION_KEY,
    PREDICTIONS_DIR,
    REQUEST_ID,
    SCORE,
    TIMESTAMP,
)
from serving.features import FEATURES
from serving.prediction_spool import SpoolFile, orphans
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
        (CORRELATION_ID, pa.string()),
        *((f.name, _ARROW_TYPES[f.dtype]) for f in FEATURES),
    ]
)
"""Columns of a prediction-log part: PREDICTION_COLUMNS, CORRELATION_ID, then the features in schema order."""


@dataclass(frozen=True)
class LogHooks:
    """What the writer reports, e.g. to count into metrics: `accepted` from the caller's thread, the rest from
    the writer's."""

    accepted: Callable[[int], None] = lambda rows: None
    written: Callable[[int], None] = lambda rows: None
    dropped: Callable[[str, int], None] = lambda reason, rows: None
    """`reason` is one of contract.DROP_REASONS."""
    failed: Callable[[], None] = lambda: None


@dataclass(frozen=True)
class LogOptions:
    uri: str
    flush_rows: int
    flush_interval_s: float
    max_unwritten_rows: int = 200_000
    """Beyond this many unwritten records (storage down for long), new records are dropped and counted."""
    spool_dir: str | None = None
    """The write-ahead spool's folder on local disk; None keeps records in memory only until written."""


@dataclass
class _Segment:
    """The records of one Parquet write, and the spool file that keeps them until it is done."""

    name: str
    """Names the segment's parts, so that writing it again replaces them."""
    records: list[Record] = field(default_factory=list)
    file: SpoolFile | None = None

    @property
    def rows(self) -> int:
        return len(self.records)


class PredictionLogWriter:
    """Appends records to the prediction log at `options.uri`, off the caller's thread."""

    def __init__(self, options: LogOptions, hooks: LogHooks | None = None) -> None:
        self._options = options
        self._hooks = hooks or LogHooks()
        self._fs, self._root = fsspec.core.url_to_fs(options.uri)
        self._spool = Path(options.spool_dir) if options.spool_dir else None
        self._writer_id = uuid.uuid4().hex[:12]
        self._sequence = 0
        self._open: _Segment | None = None
        """Where appends go; the writer takes it whole at each round."""
        self._backlog: list[_Segment] = []
        """Segments taken by the writer thread (which alone touches the list) and not yet written."""
        self._unwritten = 0
        self._closing = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
        self._thread.start()

    @property
    def healthy(self) -> bool:
        return self._thread.is_alive() and not self._closing

    @property
    def pending(self) -> int:
        """Records accepted and not yet written as Parquet."""
        with self._changed:
            return self._unwritten

    def append(self, records: list[Record]) -> None:
        """Spool the records (one write() to the OS) and queue them; returns before any Parquet write."""
        self._hooks.accepted(len(records))
        with self._changed:
            if self._unwritten + len(records) > self._options.max_unwritten_rows:
                self._hooks.dropped(contract.DROP_OVERFLOW, len(records))
                logger.error(
                    "prediction log: %d records dropped, %d are waiting while storage fails",
                    len(records),
                    self._unwritten,
                )
                return
            segment = self._open or self._new_segment()
            self._spool_append(segment, records)
            segment.records.extend(records)
            self._unwritten += len(records)
            if segment.rows >= self._options.flush_rows:
                self._changed.notify()

    def close(self, timeout_s: float) -> int:
        """Write everything queued, retrying failures until `timeout_s`; the records left unwritten (still in
        the spool, for the next writer on this disk to replay)."""
        with self._changed:
            self._closing = True
            self._changed.notify()
        self._thread.join(timeout_s)
        return self.pending

    def _new_segment(self) -> _Segment:
        self._sequence += 1
        segment = _Segment(f"{self._writer_id}-{self._sequence:06d}")
        if self._spool is not None:
            try:
                segment.file = SpoolFile.create(self._spool, segment.name)
            except OSError:
                logger.exception("prediction spool: cannot create a segment in %s", self._spool)
                self._hooks.failed()
        self._open = segment
        return segment

    def _spool_append(self, segment: _Segment, records: list[Record]) -> None:
        """A failed write (disk full) keeps the records in memory only, and the file takes no more."""
        if segment.file is None or segment.file.broken:
            return
        try:
            segment.file.append(records)
        except OSError:
            logger.exception("prediction spool: appending to %s failed", segment.file.path)
            segment.file.broken = True
            self._hooks.failed()

    def _run(self) -> None:
        deadline = time.monotonic() + self._options.flush_interval_s
        while True:
            with self._changed:
                self._changed.wait_for(self._due, timeout=max(0.0, deadline - time.monotonic()))
                if self._open is not None:
                    self._backlog.append(self._open)
                    self._open = None
                closing = self._closing
            self._adopt_orphans()
            if not self._write_backlog():
                time.sleep(min(1.0, self._options.flush_interval_s))
                continue
            if closing:
                return
            deadline = time.monotonic() + self._options.flush_interval_s

    def _due(self) -> bool:
        return self._closing or (self._open is not None and self._open.rows >= self._options.flush_rows)

    def _adopt_orphans(self) -> None:
        """Take the segments dead writers left on this disk, to write them as this writer's own."""
        if self._spool is None:
            return
        try:
            found = list(orphans(self._spool, self._writer_id))
        except OSError:
            logger.exception("prediction spool: cannot scan %s for dead writers' segments", self._spool)
            self._hooks.failed()
            return
        for orphan in found:
            if orphan.torn_rows:
                self._hooks.dropped(contract.DROP_TORN_SPOOL, orphan.torn_rows)
            segment = _Segment(orphan.name, orphan.records, orphan.file)
            logger.warning("prediction log: replaying %d records a dead writer left", segment.rows)
            with self._changed:
                self._unwritten += segment.rows
            self._backlog.append(segment)

    def _write_backlog(self) -> bool:
        """Write the segments in order, each removed from the spool once all its parts are in place; False when
        one failed (it and the later ones stay for the next attempt)."""
        while self._backlog:
            segment = self._backlog[0]
            try:
                self._write_parts(segment)
            except Exception:
                logger.exception(
                    "prediction log: writing %d records to %s failed", segment.rows, self._options.uri
                )
                self._hooks.failed()
                return False
            if segment.file:
                segment.file.remove()
            self._backlog.pop(0)
            with self._changed:
                self._unwritten -= segment.rows
            self._hooks.written(segment.rows)
        return True

    def _write_parts(self, segment: _Segment) -> None:
        """One part per date, named after the segment: written again, it replaces itself."""
        if not segment.rows:
            return
        table = pa.Table.from_pylist(segment.records, schema=SCHEMA)  # a column an older writer lacked: null
        dates = table.column(TIMESTAMP).cast(pa.date32())
        for date in pc.unique(dates).to_pylist():
            part = table.filter(pc.equal(dates, pa.scalar(date, pa.date32())))
            stamp = part.column(TIMESTAMP)[0].as_py().strftime("%Y%m%dT%H%M%S%fZ")
            self._write_part(date.isoformat(), f"{stamp}-{segment.name}.parquet", part)

    def _write_part(self, date: str, name: str, part: pa.Table) -> None:
        folder = f"{self._root}/{PREDICTIONS_DIR}/{PARTITION_KEY}={date}"
        self._fs.makedirs(folder, exist_ok=True)
        temporary = f"{folder}/.{name}.tmp"
        with self._fs.open(temporary, "wb") as out:
            pq.write_table(part, out)
        self._fs.mv(temporary, f"{folder}/{name}")

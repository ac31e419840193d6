"""The prediction log writer: batched Parquet parts by date, off the caller's thread, none lost or doubled."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds

from conventions.artifact_format import PREDICTIONS_DIR, REQUEST_ID, TIMESTAMP
from serving.artifact import Artifact
from serving.prediction_log import SCHEMA, LogHooks, LogOptions, PredictionLogWriter
from serving.schema import Applicant
from serving.scorer import Record, Scorer


class Tally:
    """Counts what the writer reports, as the metrics do."""

    def __init__(self) -> None:
        self.written = 0
        self.failed = 0

    def hooks(self) -> LogHooks:
        return LogHooks(self._written, self._failed)

    def _written(self, rows: int) -> None:
        self.written += rows

    def _failed(self) -> None:
        self.failed += 1


def _records(artifact: Artifact, applicants: list[dict[str, Any]], first: int, count: int) -> list[Record]:
    rows = [Applicant.model_validate(applicants[i % len(applicants)]) for i in range(first, first + count)]
    return Scorer(artifact).predict(rows, [f"req-{i}" for i in range(first, first + count)])[1]


def _logged(root: Path) -> list[str]:
    folder = root / PREDICTIONS_DIR
    if not folder.is_dir():
        return []
    table = ds.dataset(folder, format="parquet", partitioning="hive").to_table(columns=[REQUEST_ID])
    return list(table.column(REQUEST_ID).to_pylist())


def _eventually(condition: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def test_a_part_is_written_once_flush_rows_records_wait_and_the_rest_on_close(
    artifact: Artifact, applicants: list[dict[str, Any]], tmp_path: Path
) -> None:
    tally = Tally()
    writer = PredictionLogWriter(LogOptions(str(tmp_path), 10, 3600.0), tally.hooks())
    writer.append(_records(artifact, applicants, 0, 9))
    time.sleep(0.5)
    assert tally.written == 0
    writer.append(_records(artifact, applicants, 9, 1))
    assert _eventually(lambda: tally.written == 10)
    writer.append(_records(artifact, applicants, 10, 3))
    time.sleep(0.5)
    assert tally.written == 10
    assert writer.close(10) == 0
    assert sorted(_logged(tmp_path)) == sorted(f"req-{i}" for i in range(13))
    assert (tally.written, tally.failed, writer.healthy) == (13, 0, False)


def test_waiting_records_are_written_after_flush_interval(
    artifact: Artifact, applicants: list[dict[str, Any]], tmp_path: Path
) -> None:
    tally = Tally()
    writer = PredictionLogWriter(LogOptions(str(tmp_path), 1000, 0.3), tally.hooks())
    writer.append(_records(artifact, applicants, 0, 7))
    assert _eventually(lambda: tally.written == 7, timeout_s=5)
    assert sorted(_logged(tmp_path)) == sorted(f"req-{i}" for i in range(7))
    assert writer.close(10) == 0 and tally.written == 7


def test_parts_are_partitioned_by_date_with_the_log_schema_and_no_temporary_file(
    artifact: Artifact, applicants: list[dict[str, Any]], tmp_path: Path
) -> None:
    records = _records(artifact, applicants, 0, 4)
    yesterday = records[0][TIMESTAMP] - timedelta(days=1)
    records[0] = {**records[0], TIMESTAMP: yesterday}
    writer = PredictionLogWriter(LogOptions(str(tmp_path), 1000, 3600.0))
    writer.append(records)
    assert writer.close(10) == 0
    dates = sorted(p.name for p in (tmp_path / PREDICTIONS_DIR).iterdir())
    assert dates == [f"date={yesterday.date()}", f"date={records[1][TIMESTAMP].date()}"]
    files = sorted((tmp_path / PREDICTIONS_DIR).rglob("*"))
    assert not [f for f in files if f.name.startswith(".")]
    table = ds.dataset(tmp_path / PREDICTIONS_DIR, format="parquet").to_table()
    assert table.schema == SCHEMA
    assert table.column(TIMESTAMP).to_pylist()[0].tzinfo is not None


def test_a_failing_store_is_counted_and_retried_until_it_recovers(
    artifact: Artifact, applicants: list[dict[str, Any]], tmp_path: Path
) -> None:
    blocker = tmp_path / PREDICTIONS_DIR
    blocker.write_text("a file where the log's folder should be")
    tally = Tally()
    writer = PredictionLogWriter(LogOptions(str(tmp_path), 5, 0.1), tally.hooks())
    writer.append(_records(artifact, applicants, 0, 12))
    assert _eventually(lambda: tally.failed >= 2)
    assert writer.pending == 12 and tally.written == 0
    blocker.unlink()
    assert _eventually(lambda: tally.written == 12)
    assert writer.close(10) == 0
    assert sorted(_logged(tmp_path)) == sorted(f"req-{i}" for i in range(12))


def test_append_returns_before_anything_is_written(
    artifact: Artifact, applicants: list[dict[str, Any]], tmp_path: Path
) -> None:
    tally = Tally()
    writer = PredictionLogWriter(LogOptions(str(tmp_path), 1000, 3600.0), tally.hooks())
    started = datetime.now(UTC)
    writer.append(_records(artifact, applicants, 0, 500))
    assert (datetime.now(UTC) - started).total_seconds() < 0.05
    assert tally.written == 0 and _logged(tmp_path) == []
    assert writer.close(10) == 0 and tally.written == 500

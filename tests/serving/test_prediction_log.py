"""The prediction log writer: batched Parquet parts by date, off the caller's thread, none lost or doubled; and
its write-ahead spool: what a killed writer answered is replayed by the next writer on the disk, exactly once."""

from __future__ import annotations

import shutil
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from conventions import contract
from conventions.artifact_format import PREDICTIONS_DIR, REQUEST_ID, TIMESTAMP
from serving.artifact import Artifact
from serving.prediction_log import SCHEMA, LogHooks, LogOptions, PredictionLogWriter
from serving.prediction_spool import SUFFIX
from serving.schema import Applicant
from serving.scorer import Record, Scorer


class Tally:
    """Counts what the writer reports, as the metrics do."""

    def __init__(self) -> None:
        self.accepted = 0
        self.written = 0
        self.dropped: dict[str, int] = {}
        self.failed = 0

    def hooks(self) -> LogHooks:
        return LogHooks(self._accepted, self._written, self._dropped, self._failed)

    def _accepted(self, rows: int) -> None:
        self.accepted += rows

    def _written(self, rows: int) -> None:
        self.written += rows

    def _dropped(self, reason: str, rows: int) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + rows

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
    """The writer thread writes a part only at flushRows (1000) or flushInterval (an hour): 500 records appended
    are all pending when append returns, and close writes them."""
    tally = Tally()
    writer = PredictionLogWriter(LogOptions(str(tmp_path), 1000, 3600.0), tally.hooks())
    writer.append(_records(artifact, applicants, 0, 500))
    assert writer.pending == 500
    assert tally.written == 0 and _logged(tmp_path) == []
    assert writer.close(10) == 0 and tally.written == 500


def test_records_beyond_max_unwritten_rows_are_dropped_and_counted_while_storage_fails(
    artifact: Artifact, applicants: list[dict[str, Any]], tmp_path: Path
) -> None:
    blocker = tmp_path / PREDICTIONS_DIR
    blocker.write_text("a file where the log's folder should be")
    tally = Tally()
    writer = PredictionLogWriter(LogOptions(str(tmp_path), 5, 0.1, max_unwritten_rows=10), tally.hooks())
    for first in range(0, 16, 4):
        writer.append(_records(artifact, applicants, first, 4))
    assert (writer.pending, tally.accepted, tally.dropped) == (8, 16, {contract.DROP_OVERFLOW: 8})
    blocker.unlink()
    assert writer.close(10) == 0
    assert sorted(_logged(tmp_path)) == sorted(f"req-{i}" for i in range(8))


KILLED_WRITER = """
import sys, time
import pyarrow.parquet as pq
from serving.prediction_log import LogOptions, PredictionLogWriter
log, spool, records = sys.argv[1:]
writer = PredictionLogWriter(LogOptions(log, 10_000, 3600.0, spool_dir=spool))
rows = pq.read_table(records).to_pylist()
for first in range(0, len(rows), 5):
    writer.append(rows[first:first + 5])
print("appended", flush=True)
time.sleep(60)
"""
"""A writer that appends its records in frames of 5 and waits to be killed, none written as Parquet."""


KILLED_RECORDS = 25


@pytest.fixture(scope="module")
def killed_writers_spool(
    artifact: Artifact, applicants: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The spool folder a SIGKILLed writer left after appending req-0..req-24, in frames of 5."""
    folder = tmp_path_factory.mktemp("killed")
    records, spool = folder / "records.parquet", folder / "spool"
    rows = _records(artifact, applicants, 0, KILLED_RECORDS)
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), records)
    args = [sys.executable, "-c", KILLED_WRITER, str(folder / "log"), str(spool), str(records)]
    with subprocess.Popen(args, stdout=subprocess.PIPE, text=True) as writer:
        try:
            assert writer.stdout is not None and writer.stdout.readline() == "appended\n"
        finally:
            writer.send_signal(signal.SIGKILL)
    assert writer.returncode == -signal.SIGKILL
    assert not (folder / "log").exists()
    return spool


def _killed_writer(killed_writers_spool: Path, tmp_path: Path) -> Path:
    """A copy of what the killed writer left, for one test to replay."""
    return Path(shutil.copytree(killed_writers_spool, tmp_path / "spool"))


def _replay(tmp_path: Path, spool: Path) -> Tally:
    """A second writer on the same disk, closed once it has replayed what it found."""
    tally = Tally()
    writer = PredictionLogWriter(
        LogOptions(str(tmp_path / "log"), 1000, 3600.0, spool_dir=str(spool)), tally.hooks()
    )
    assert writer.close(10) == 0
    return tally


def test_a_second_writer_replays_a_killed_writers_spool_exactly_once(
    killed_writers_spool: Path, tmp_path: Path
) -> None:
    spool = _killed_writer(killed_writers_spool, tmp_path)
    assert _logged(tmp_path / "log") == [] and len(list(spool.glob(f"*{SUFFIX}"))) == 1
    tally = _replay(tmp_path, spool)
    assert sorted(_logged(tmp_path / "log")) == sorted(f"req-{i}" for i in range(KILLED_RECORDS))
    assert (tally.written, tally.dropped, list(spool.iterdir())) == (KILLED_RECORDS, {}, [])


def _last_frame(data: bytes) -> int:
    """Where the segment's last frame starts: each frame is a 16-byte header, whose first field is the
    payload's size, then the payload."""
    start = offset = 0
    while offset < len(data):
        start, offset = offset, offset + 16 + struct.unpack_from("<I", data, offset)[0]
    return start


TORN_TAILS: dict[str, tuple[Callable[[bytes], bytes], int]] = {
    "last-byte-missing": (lambda data: data[:-1], 5),
    "half-the-last-payload": (lambda data: data[: (_last_frame(data) + 16 + len(data)) // 2], 5),
    "half-the-last-header": (lambda data: data[: _last_frame(data) + 8], 1),
    "a-flipped-byte": (lambda data: data[:-3] + bytes([data[-3] ^ 0xFF]) + data[-2:], 5),
}
"""A damage done to the segment's tail, and the rows counted dropped: the last frame's 5 when its header
survived, else 1 (a frame holds at least one record)."""


@pytest.mark.parametrize(("damage", "torn_rows"), TORN_TAILS.values(), ids=TORN_TAILS.keys())
def test_a_torn_spool_tail_is_ignored_and_its_rows_counted_as_dropped(
    killed_writers_spool: Path,
    tmp_path: Path,
    damage: Callable[[bytes], bytes],
    torn_rows: int,
) -> None:
    spool = _killed_writer(killed_writers_spool, tmp_path)
    (segment,) = spool.glob(f"*{SUFFIX}")
    segment.write_bytes(damage(segment.read_bytes()))
    tally = _replay(tmp_path, spool)
    assert sorted(_logged(tmp_path / "log")) == sorted(f"req-{i}" for i in range(20))
    assert (tally.written, tally.dropped) == (20, {contract.DROP_TORN_SPOOL: torn_rows})
    assert list(spool.iterdir()) == []


def test_a_replay_after_a_crash_between_part_and_spool_removal_rewrites_the_same_parts(
    killed_writers_spool: Path, tmp_path: Path
) -> None:
    """The segment copied back after its replay stands for a writer killed after moving its parts in place."""
    spool = _killed_writer(killed_writers_spool, tmp_path)
    (segment,) = spool.glob(f"*{SUFFIX}")
    kept = segment.read_bytes()
    _replay(tmp_path, spool)
    parts = sorted((tmp_path / "log" / PREDICTIONS_DIR).rglob("*.parquet"))
    segment.write_bytes(kept)
    assert _replay(tmp_path, spool).written == KILLED_RECORDS
    assert sorted((tmp_path / "log" / PREDICTIONS_DIR).rglob("*.parquet")) == parts
    assert sorted(_logged(tmp_path / "log")) == sorted(f"req-{i}" for i in range(KILLED_RECORDS))


def test_a_live_writers_spool_is_left_alone_by_another_writer_on_the_disk(
    artifact: Artifact, applicants: list[dict[str, Any]], tmp_path: Path
) -> None:
    spool, log = tmp_path / "spool", str(tmp_path / "log")
    live = PredictionLogWriter(LogOptions(log, 1000, 3600.0, spool_dir=str(spool)))
    live.append(_records(artifact, applicants, 0, 6))
    (segment,) = spool.glob(f"*{SUFFIX}")
    other_tally = Tally()
    other = PredictionLogWriter(LogOptions(log, 1000, 0.05, spool_dir=str(spool)), other_tally.hooks())
    time.sleep(0.5)  # ten rounds of the other writer, each scanning the spool
    assert other.close(10) == 0 and other_tally.written == 0 and segment.exists()
    assert _logged(tmp_path / "log") == []
    assert live.close(10) == 0 and not segment.exists()
    assert sorted(_logged(tmp_path / "log")) == sorted(f"req-{i}" for i in range(6))


def test_every_record_is_spooled_before_append_returns(
    artifact: Artifact, applicants: list[dict[str, Any]], tmp_path: Path
) -> None:
    """Copied while the writer lives (a copy takes no lock), the spool replays as a killed writer's would."""
    spool, copy = tmp_path / "spool", tmp_path / "copy"
    writer = PredictionLogWriter(LogOptions(str(tmp_path / "elsewhere"), 1000, 3600.0, spool_dir=str(spool)))
    for first in range(0, 9, 3):
        writer.append(_records(artifact, applicants, first, 3))
    shutil.copytree(spool, copy)
    assert _replay(tmp_path, copy).written == 9
    assert sorted(_logged(tmp_path / "log")) == sorted(f"req-{i}" for i in range(9))
    assert writer.close(10) == 0

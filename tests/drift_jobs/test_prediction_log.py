"""Reading the prediction log: the window's date partitions, parts with and without the newer correlation_id
column, the latest label of each request, and a replayed spool's parts read once."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from conventions.artifact_format import FeatureSpec
from drift_jobs.prediction_log import Window, read_labels, read_window
from serving.artifact import Artifact
from serving.features import FEATURES
from serving.prediction_log import LogOptions, PredictionLogWriter
from serving.schema import Applicant
from serving.scorer import Scorer


def test_a_window_reads_every_date_it_touches_and_no_other() -> None:
    window = Window(datetime(2026, 11, 25, 23, 0, tzinfo=UTC), datetime(2026, 11, 27, 0, 0, tzinfo=UTC))
    assert window.days() == [date(2026, 11, 25), date(2026, 11, 26)]


def test_a_label_sent_again_replaces_the_earlier_one(tmp_path: Path) -> None:
    (tmp_path / "labels").mkdir()
    stamp = pa.timestamp("us", tz="UTC")
    for part, (label, day) in enumerate([(1, 20), (0, 22), (1, 21)]):
        pq.write_table(pa.table({
            "request_id": pa.array(["req-1", f"only-{part}"]),
            "label": pa.array([label, 1], pa.int8()),
            "labelled_at": pa.array([datetime(2026, 11, day, tzinfo=UTC)] * 2, stamp),
        }), tmp_path / "labels" / f"part-{part}.parquet")  # fmt: skip
    labels = read_labels(str(tmp_path))
    assert labels is not None
    latest = dict(
        zip(labels.column("request_id").to_pylist(), labels.column("label").to_pylist(), strict=True)
    )
    assert latest == {"req-1": 0, "only-0": 1, "only-1": 1, "only-2": 1}


def test_no_labels_folder_means_no_labels_yet(tmp_path: Path) -> None:
    assert read_labels(str(tmp_path)) is None


def test_parts_written_before_the_correlation_id_column_are_read_with_the_newer_ones(tmp_path: Path) -> None:
    day = tmp_path / "predictions" / "date=2026-11-26"
    day.mkdir(parents=True)
    stamp = pa.timestamp("us", tz="UTC")
    for part, extra in enumerate([{}, {"correlation_id": pa.array(["loan-7", None], pa.string())}]):
        pq.write_table(pa.table({
            "request_id": pa.array([f"old-{part}", f"new-{part}"]),
            "timestamp": pa.array([datetime(2026, 11, 26, 12, tzinfo=UTC)] * 2, stamp),
            "model_version": pa.array(["v1", "v1"]),
            "score": pa.array([0.1, 0.9]),
            "decision": pa.array(["accepted", "rejected"]),
            **extra,
            "x": pa.array([1.0, 2.0]),
        }), day / f"part-{part}.parquet")  # fmt: skip
    window = Window(datetime(2026, 11, 26, tzinfo=UTC), datetime(2026, 11, 27, tzinfo=UTC))
    table = read_window(str(tmp_path), window, [FeatureSpec(name="x", dtype="float64")], request_ids=True)
    assert sorted(table.column("request_id").to_pylist()) == ["new-0", "new-1", "old-0", "old-1"]


def test_a_spool_replayed_after_its_parts_were_written_is_read_once(
    artifact: Artifact, applicants: list[dict[str, Any]], tmp_path: Path
) -> None:
    """The spool copied while its writer lived, put back once the writer wrote its parts and removed it, stands
    for a writer killed between the two: the replay rewrites the same parts, and the window has each row once."""
    log, spool, kept = str(tmp_path / "log"), tmp_path / "spool", tmp_path / "kept"
    rows = [Applicant.model_validate(applicants[i % len(applicants)]) for i in range(30)]
    records = Scorer(artifact).predict(rows, [f"req-{i}" for i in range(30)])[1]
    writer = PredictionLogWriter(LogOptions(log, 1000, 3600.0, spool_dir=str(spool)))
    writer.append(records)
    shutil.copytree(spool, kept)
    assert writer.close(10) == 0
    shutil.copytree(kept, spool, dirs_exist_ok=True)
    assert PredictionLogWriter(LogOptions(log, 1000, 3600.0, spool_dir=str(spool))).close(10) == 0
    window = Window(datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC) + timedelta(days=1))
    features = [f.spec for f in FEATURES]
    table = read_window(log, window, features, request_ids=True)
    assert sorted(table.column("request_id").to_pylist()) == sorted(f"req-{i}" for i in range(30))


def test_a_log_written_to_s3_is_read_back_by_the_drift_job(
    artifact: Artifact, applicants: list[dict[str, Any]], bucket: str, s3_environment: dict[str, str]
) -> None:
    """The pods' way: credentials and endpoint only in the environment (the stack's Secret), the log on s3."""
    log = f"s3://{bucket}/predictions"
    rows = [Applicant.model_validate(applicants[i % len(applicants)]) for i in range(20)]
    records = Scorer(artifact).predict(rows, [f"req-{i}" for i in range(20)])[1]
    writer = PredictionLogWriter(LogOptions(log, 1000, 3600.0))
    writer.append(records)
    assert writer.close(10) == 0
    window = Window(datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC) + timedelta(days=1))
    table = read_window(log, window, [f.spec for f in FEATURES], request_ids=True)
    assert sorted(table.column("request_id").to_pylist()) == sorted(f"req-{i}" for i in range(20))

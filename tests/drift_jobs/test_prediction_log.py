"""Reading the prediction log: the window's date partitions, and the latest label of each request."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from drift_jobs.prediction_log import Window, read_labels


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

"""The benchmark's data as both baselines read it: the reference sample and the window's features, with
pyarrow alone, so each baseline process imports no more than it measures."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

WINDOW = timedelta(days=7)


def read_window(data: Path, window_end: datetime) -> tuple[pa.Table, list[str], pa.Table]:
    """(reference, feature names, current): the current rows are those logged in the window before `window_end`."""
    reference = pq.read_table(data / "model" / "reference.parquet")
    features = [name for name in reference.column_names if name.startswith("x")]
    log = ds.dataset(data / "log" / "predictions", format="parquet", partitioning="hive")
    stamp = ds.field("timestamp")
    end = pa.scalar(window_end, pa.timestamp("us", tz="UTC"))
    start = pa.scalar(window_end - WINDOW, pa.timestamp("us", tz="UTC"))
    return reference, features, log.to_table(columns=features, filter=(stamp >= start) & (stamp < end))

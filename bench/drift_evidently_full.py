"""For comparison only: Evidently's DataDriftPreset (num_method="ks") alone on every row of the benchmark's
window, with its HTML report, which is the cost the drift job avoids by testing with scipy and rendering
Evidently's reports from bounded samples. Run by bench/drift_benchmark.py --evidently-full."""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset


def main(data: Path, window_end: datetime) -> None:
    reference = pq.read_table(data / "model" / "reference.parquet")
    features = [name for name in reference.column_names if name.startswith("x")]
    log = ds.dataset(data / "log" / "predictions", format="parquet", partitioning="hive")
    stamp = ds.field("timestamp")
    end = pa.scalar(window_end, pa.timestamp("us", tz="UTC"))
    start = pa.scalar(window_end - timedelta(days=7), pa.timestamp("us", tz="UTC"))
    current = log.to_table(columns=features, filter=(stamp >= start) & (stamp < end)).to_pandas()
    definition = DataDefinition(numerical_columns=features)
    began = time.monotonic()
    report = Report([DataDriftPreset(columns=features, num_method="ks", num_threshold=0.05)])
    snapshot = report.run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference.select(features).to_pandas(), data_definition=definition),
    )
    with tempfile.TemporaryDirectory() as folder:
        snapshot.save_html(str(Path(folder) / "report.html"))
    print(f"Evidently report on {len(current):,} rows: done in {time.monotonic() - began:.1f}s")


if __name__ == "__main__":
    main(Path(sys.argv[1]), datetime.fromisoformat(sys.argv[2]))

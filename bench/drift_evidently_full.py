"""For comparison only: Evidently's DataDriftPreset (num_method="ks") alone on every row of the benchmark's
window, with its HTML report, which is the cost the drift job avoids by testing with scipy and rendering
Evidently's reports from bounded samples. Run by bench/drift_benchmark.py --evidently-full."""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from drift_window import read_window
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset


def main(data: Path, window_end: datetime) -> None:
    reference, features, window = read_window(data, window_end)
    current = window.to_pandas()
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

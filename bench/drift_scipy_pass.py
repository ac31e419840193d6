"""The drift benchmark's baseline: read the window's features and the reference from Parquet, then one plain
`scipy.stats.ks_2samp` per column pair. Run by bench/drift_benchmark.py in its own process."""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path

from drift_window import read_window
from scipy import stats


def main(data: Path, window_end: datetime) -> None:
    began = time.monotonic()
    reference, features, current = read_window(data, window_end)
    read = time.monotonic()
    drifted = 0
    for name in features:
        result = stats.ks_2samp(reference.column(name).to_numpy(), current.column(name).to_numpy())
        drifted += bool(result.pvalue < 0.05)
    tested = time.monotonic()
    print(f"read {current.num_rows:,} + {reference.num_rows:,} rows: done in {read - began:.1f}s")
    print(f"ks_2samp on {len(features)} columns: done in {tested - read:.1f}s; {drifted} drifted at p<0.05")


if __name__ == "__main__":
    main(Path(sys.argv[1]), datetime.fromisoformat(sys.argv[2]))

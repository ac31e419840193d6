"""Cost of the prediction log's write-ahead spool on the request path: PredictionLogWriter.append without the
spool, with it, and with it plus an fsync after each append (what surviving a node's power loss would take), in
one run on the same disk as the local run folder. Prints the time per append (one @serve.batch of records) and
the ratios to the spool-less baseline.

    .venv/bin/python bench/prediction_spool.py [--appends 5000] [--batch 16]

Everything it writes is under run/bench-spool/, removed at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conventions.artifact_format import DECISION, MODEL_VERSION, REQUEST_ID, SCORE, TIMESTAMP
from serving.features import FEATURES
from serving.prediction_log import LogOptions, PredictionLogWriter
from serving.prediction_spool import SUFFIX

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "run" / "bench-spool"
_VALUES = {"float64": 1234.5, "int64": 42, "bool": True}


def _records(count: int, first: int) -> list[dict[str, Any]]:
    """Records of the log's shape: every feature set (categories to their first value)."""
    features = {f.name: f.categories[0] if f.categorical else _VALUES[f.dtype] for f in FEATURES}
    now = datetime.now(UTC)
    return [
        {REQUEST_ID: f"req-{first + i:09d}", TIMESTAMP: now, MODEL_VERSION: "bench", SCORE: 0.12,
         DECISION: "accepted", **features}
        for i in range(count)
    ]  # fmt: skip


def _fsync_spool(spool: Path) -> Callable[[], None]:
    """An fsync of the writer's open segment (any descriptor of a file flushes its data)."""

    def sync() -> None:
        for segment in spool.glob(f"*{SUFFIX}"):
            try:
                fd = os.open(segment, os.O_RDONLY)
            except FileNotFoundError:
                continue  # written as Parquet and removed meanwhile
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    return sync


def measure(name: str, appends: int, batch: int, spool: bool, fsync: bool) -> list[float]:
    """Seconds per append; the writer flushes Parquet every 1000 records, as the stack's default."""
    folder = WORK / name
    spool_dir = folder / "spool"
    writer = PredictionLogWriter(
        LogOptions(str(folder / "log"), 1000, 10.0, spool_dir=str(spool_dir) if spool else None)
    )
    sync = _fsync_spool(spool_dir) if fsync else None
    batches = [_records(batch, i * batch) for i in range(appends)]
    timings = []
    for records in batches:
        started = time.perf_counter()
        writer.append(records)
        if sync:
            sync()
        timings.append(time.perf_counter() - started)
    assert writer.close(60) == 0
    return timings


def _summary(timings: list[float]) -> tuple[float, float]:
    """Mean and p99 in microseconds."""
    ordered = sorted(timings)
    return statistics.fmean(ordered) * 1e6, ordered[int(0.99 * (len(ordered) - 1))] * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=16, help="records per append (@serve.batch size)")
    args = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    try:
        runs = {
            "no spool": measure("memory", args.appends, args.batch, spool=False, fsync=False),
            "spool": measure("spool", args.appends, args.batch, spool=True, fsync=False),
            "spool + fsync": measure("fsync", args.appends, args.batch, spool=True, fsync=True),
        }
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    base_mean, base_p99 = _summary(runs["no spool"])
    print(f"{args.appends} appends of {args.batch} records, disk of {WORK.parent}")
    print(f"{'':<14} {'mean µs':>9} {'p99 µs':>9} {'mean x':>7} {'p99 x':>7}")
    for name, timings in runs.items():
        mean, p99 = _summary(timings)
        print(f"{name:<14} {mean:9.1f} {p99:9.1f} {mean / base_mean:7.2f} {p99 / base_p99:7.2f}")


if __name__ == "__main__":
    main()

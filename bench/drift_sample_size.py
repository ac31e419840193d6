"""Evidence for the drift job's default sample size: how often the job's KS test (drift_jobs.statistics, p<0.05)
flags a feature whose mean moved by a given number of standard deviations, for each number of rows compared
per side. The 0 column is the false-positive rate; the last row compares every row of a 1,000,000-row window
with a 200,000-row reference, which is what testing without a sample does.

    .venv/bin/python bench/drift_sample_size.py [--repeats 400] [--seed 1]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from drift_jobs.statistics import ks_test

SHIFTS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3)
SAMPLE_SIZES = (1000, 2000, 5000, 10_000, 20_000)
FULL = (200_000, 1_000_000)
P_VALUE = 0.05


def detection_rate(rng: np.random.Generator, sizes: tuple[int, int], shift: float, repeats: int) -> float:
    flagged = 0
    for _ in range(repeats):
        result = ks_test(rng.normal(size=sizes[0]), rng.normal(shift, 1.0, size=sizes[1]))
        flagged += result.p_value < P_VALUE
    return flagged / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeats", type=int, default=400, help="datasets per cell (a quarter of it at full data)"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    began = time.monotonic()
    print(f"share of features flagged at p<{P_VALUE}, by rows per side (rows) and mean shift (in sd)\n")
    print(f"{'rows':>22} " + " ".join(f"{s:>6}" for s in SHIFTS))
    for size in SAMPLE_SIZES:
        rates = [detection_rate(rng, (size, size), shift, args.repeats) for shift in SHIFTS]
        print(f"{size:>22,} " + " ".join(f"{r:6.3f}" for r in rates), flush=True)
    rates = [detection_rate(rng, FULL, shift, max(1, args.repeats // 4)) for shift in SHIFTS]
    print(f"{'200,000 vs 1,000,000':>22} " + " ".join(f"{r:6.3f}" for r in rates))
    print(
        f"\n{args.repeats} datasets per cell ({max(1, args.repeats // 4)} at full data); {time.monotonic() - began:.0f}s"
    )


if __name__ == "__main__":
    main()

"""Rows drawn at random, with a fixed seed, before the tests: on a huge window a KS test flags shifts too small
to matter, and a bounded sample keeps both the sensitivity and the cost independent of traffic."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

REFERENCE_SEED = 20261126
CURRENT_SEED = REFERENCE_SEED + 1
"""Fixed seeds: the same data gives the same sample, so a rerun gives the same verdict."""


def sample_rows(table: pa.Table, size: int, seed: int) -> pa.Table:
    """At most `size` rows drawn uniformly without replacement, kept in file order; all rows when fewer."""
    if table.num_rows <= size:
        return table
    rows = np.random.default_rng(seed).choice(table.num_rows, size=size, replace=False)
    return table.take(pa.array(np.sort(rows)))

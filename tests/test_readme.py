"""The README's mapping table says what the metric contract says."""

from __future__ import annotations

import re

import pytest

from serving import contract as c
from tests.conftest import PROJECT_DIR

README = (PROJECT_DIR / "README.md").read_text()


@pytest.mark.parametrize(("seed", "series"), c.SEED_MAPPING, ids=[seed for seed, _ in c.SEED_MAPPING])
def test_readme_maps_each_seed_metric_to_its_contract_series(seed: str, series: str) -> None:
    row = next((line for line in README.splitlines() if line.startswith(f"| `{seed}` |")), None)
    assert row is not None, f"README has no mapping row for {seed}"
    for name in re.findall(r"[a-z_:]+_[a-z_:]+", series):
        assert name in row, f"README row for {seed} does not name {name}"

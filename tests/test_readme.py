"""The README says what the code says: the metric contract's mapping table, the import contract's layers."""

from __future__ import annotations

import re
import tomllib

import pytest

from conventions import contract as c
from tests.conftest import PROJECT_DIR

README = (PROJECT_DIR / "README.md").read_text()


@pytest.mark.parametrize(("seed", "series"), c.SEED_MAPPING, ids=[seed for seed, _ in c.SEED_MAPPING])
def test_readme_maps_each_seed_metric_to_its_contract_series(seed: str, series: str) -> None:
    row = next((line for line in README.splitlines() if line.startswith(f"| `{seed}` |")), None)
    assert row is not None, f"README has no mapping row for {seed}"
    for name in re.findall(r"[a-z_:]+_[a-z_:]+", series):
        assert name in row, f"README row for {seed} does not name {name}"


def test_readme_lists_the_import_contracts_layers_in_order() -> None:
    pyproject = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())
    (contract,) = pyproject["tool"]["importlinter"]["contracts"]
    section = README.split("## How the code is laid out", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \|", section, flags=re.M)
    assert [row.replace("\\|", "|") for row in rows] == contract["layers"]

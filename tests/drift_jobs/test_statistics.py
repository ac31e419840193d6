"""The per-column tests give exactly what scipy and Evidently give on the same values."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pytest
from evidently.legacy.calculations.stattests.chisquare_stattest import _chi_stat_test
from evidently.legacy.core import ColumnType
from scipy import stats

from drift_jobs.statistics import chi_square_test, ks_statistic, ks_test, numbers

Pair = tuple[npt.NDArray[Any], npt.NDArray[Any]]


def _pair(kind: str, seed: int, sizes: tuple[int, int]) -> Pair:
    rng = np.random.default_rng(seed)
    n1, n2 = sizes
    if kind == "continuous":
        return rng.normal(size=n1), rng.normal(0.05, 1.0, size=n2)
    if kind == "rounded, many ties":
        return np.round(rng.normal(size=n1), 1), np.round(rng.normal(0.2, 1.0, size=n2), 1)
    if kind == "counts":
        return rng.poisson(2.0, n1), rng.poisson(2.3, n2)
    return rng.integers(0, 2, n1), rng.integers(0, 2, n2)


KINDS = ["continuous", "rounded, many ties", "counts", "binary"]
SIZES = [(1, 7), (500, 3000), (3000, 500), (12_000, 40_000), (40_000, 12_000), (25_000, 25_000)]


@pytest.mark.parametrize("sizes", SIZES)
@pytest.mark.parametrize("kind", KINDS)
def test_ks_statistic_is_bit_for_bit_scipys(kind: str, sizes: tuple[int, int]) -> None:
    reference, current = _pair(kind, sum(sizes), sizes)
    assert ks_statistic(reference, current) == stats.ks_2samp(reference, current, method="asymp").statistic


@pytest.mark.parametrize("sizes", [(2000, 2000), (10_000, 4000), (10_001, 4000), (200_000, 50_000)])
@pytest.mark.parametrize("kind", KINDS)
def test_ks_test_is_scipys_auto_mode_as_evidently_calls_it(kind: str, sizes: tuple[int, int]) -> None:
    reference, current = _pair(kind, 1, sizes)
    expected = stats.ks_2samp(reference, current)
    result = ks_test(reference, current)
    assert (result.method, result.statistic, result.p_value) == ("ks", expected.statistic, expected.pvalue)


def test_chi_square_is_evidentlys() -> None:
    rng = np.random.default_rng(3)
    reference = rng.choice(["a", "b", "c"], 3000, p=[0.5, 0.3, 0.2])
    current = rng.choice(["a", "b", "c"], 2000, p=[0.45, 0.3, 0.25])
    result = chi_square_test(pa.chunked_array([reference]), pa.chunked_array([current]))
    evidently_p, _ = _chi_stat_test(pd.Series(reference), pd.Series(current), ColumnType.Categorical, 0.05)
    assert result.p_value == pytest.approx(evidently_p, rel=1e-12), "Evidently sums categories in set order"
    observed = [(current == c).sum() for c in "abc"]
    expected = [(reference == c).sum() * (2000 / 3000) for c in "abc"]
    assert result.statistic == stats.chisquare(observed, expected).statistic


def test_a_category_the_reference_never_saw_is_certain_drift() -> None:
    result = chi_square_test(pa.chunked_array([["a", "b"] * 50]), pa.chunked_array([["a", "b", "new"] * 30]))
    assert (result.statistic, result.p_value) == (float("inf"), 0.0)


def test_numbers_drop_missing_and_infinite_values_and_read_flags_as_0_or_1() -> None:
    floats = pa.chunked_array([[1.0, None, float("nan")], [float("inf"), 2.0, -float("inf")]])
    assert numbers(floats).tolist() == [1.0, 2.0]
    assert numbers(pa.chunked_array([[True, False, True]])).tolist() == [1, 0, 1]

"""Two-sample tests of one column, computed the way Evidently computes its "ks" and "chisquare" tests (same
scipy calls, same handling of missing values), so the HTML reports and the pushed metrics agree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from scipy import stats

from conventions.artifact_format import FeatureSpec

KS = "ks"
CHI_SQUARE = "chisquare"
"""Evidently's names for the two tests."""
EXACT_MAX_ROWS = 10_000
"""scipy's ks_2samp computes the exact distribution up to this many rows a side ("auto" mode)."""


@dataclass(frozen=True)
class ColumnTest:
    method: str
    statistic: float
    p_value: float


def method_for(spec: FeatureSpec) -> str:
    """KS, as the seed asks, wherever values are ordered; chi-square on categories, which have no order."""
    return CHI_SQUARE if spec.categorical else KS


def column_test(method: str, reference: pa.ChunkedArray, current: pa.ChunkedArray) -> ColumnTest:
    if method == CHI_SQUARE:
        return chi_square_test(reference.drop_null(), current.drop_null())
    return ks_test(numbers(reference), numbers(current))


def numbers(column: pa.ChunkedArray) -> npt.NDArray[Any]:
    """The finite values of a numeric column; Evidently drops null, NaN and ±inf the same way."""
    if pa.types.is_boolean(column.type):
        column = column.cast(pa.int8())
    values: npt.NDArray[Any] = column.to_numpy()
    if values.dtype.kind == "f":
        finite = np.isfinite(values)
        if not finite.all():
            values = values[finite]
    return values


def ks_test(reference: npt.NDArray[Any], current: npt.NDArray[Any]) -> ColumnTest:
    """Two-sided KS as scipy's ks_2samp in "auto" mode, which Evidently calls: exact up to 10,000 rows a side,
    asymptotic beyond, where the statistic comes from `ks_statistic` (same value, a fraction of the time)."""
    if max(len(reference), len(current)) <= EXACT_MAX_ROWS:
        result = stats.ks_2samp(reference, current)
        return ColumnTest(KS, float(result.statistic), float(result.pvalue))
    statistic = ks_statistic(reference, current)
    m, n = sorted((float(len(reference)), float(len(current))), reverse=True)
    p_value = np.clip(stats.kstwo.sf(statistic, np.round(m * n / (m + n))), 0, 1)
    return ColumnTest(KS, statistic, float(p_value))


def ks_statistic(reference: npt.NDArray[Any], current: npt.NDArray[Any]) -> float:
    """sup |F_ref - F_cur|, bit for bit the statistic of scipy's asymptotic ks_2samp.

    scipy evaluates both ECDFs at every point of both samples (two binary searches per row of each). Between two
    distinct values of the smaller sample its ECDF is flat while the larger one's rises, so the difference is
    extreme right at a value of the smaller sample, or just before the next one: two searches per distinct
    value of the smaller sample are enough, with the same counts and so the same floating-point result."""
    small, large = sorted((np.sort(reference), np.sort(current)), key=len)
    last = np.flatnonzero(np.append(small[1:] != small[:-1], True))
    values = small[last]
    at = (last + 1) / len(small)
    before = np.append(0.0, at[:-1])
    above = at - np.searchsorted(large, values, side="right") / len(large)
    below = np.searchsorted(large, values, side="left") / len(large) - before
    return float(max(above.max(), below.max()))


def chi_square_test(reference: pa.ChunkedArray, current: pa.ChunkedArray) -> ColumnTest:
    """Current category counts against the reference's proportions scaled to the current size (Evidently's
    formula); a category the reference never saw makes the statistic infinite and the p-value 0."""
    reference_counts = _counts(reference)
    current_counts = _counts(current)
    categories = sorted(reference_counts.keys() | current_counts.keys(), key=str)
    scale = len(current) / len(reference)
    expected = np.array([reference_counts.get(c, 0) * scale for c in categories])
    observed = np.array([current_counts.get(c, 0) for c in categories], dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic, p_value = stats.chisquare(observed, expected)
    return ColumnTest(CHI_SQUARE, float(statistic), float(p_value))


def _counts(column: pa.ChunkedArray) -> dict[object, int]:
    counted = pc.value_counts(column)
    return dict(zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist(), strict=True))

"""θ*: the grid threshold of least business cost, the lowest one on ties."""

from __future__ import annotations

import numpy as np
import pytest

from serving.threshold import GRID, best_threshold, business_cost


def _brute_force(
    labels: np.ndarray, scores: np.ndarray, cost_fn: float, cost_fp: float
) -> tuple[float, float]:
    costs = [(business_cost(labels, scores, float(t), cost_fn, cost_fp), float(t)) for t in GRID]
    best = min(costs)
    return best[1], best[0]


@pytest.mark.parametrize(("cost_fn", "cost_fp", "seed"), [(10, 1, 0), (1, 1, 1), (50, 1, 2), (1, 5, 3)])
def test_the_threshold_is_the_cheapest_of_the_grid(cost_fn: float, cost_fp: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = (rng.random(3000) < 0.1).astype(np.int8)
    scores = np.clip(rng.normal(0.2 + 0.3 * labels, 0.15), 0, 1)
    found = best_threshold(labels, scores, cost_fn, cost_fp)
    assert (found.value, pytest.approx(found.cost_per_application)) == _brute_force(
        labels, scores, cost_fn, cost_fp
    )
    assert found.rejection_rate == pytest.approx(np.mean(scores >= found.value))


def test_a_dearer_false_negative_lowers_the_threshold() -> None:
    rng = np.random.default_rng(5)
    labels = (rng.random(5000) < 0.08).astype(np.int8)
    scores = np.clip(rng.normal(0.1 + 0.25 * labels, 0.1), 0, 1)
    thresholds = [best_threshold(labels, scores, cost_fn, 1.0).value for cost_fn in (2, 10, 50)]
    assert thresholds == sorted(thresholds, reverse=True)
    assert thresholds[0] > thresholds[-1]


@pytest.mark.parametrize(
    ("labels", "scores", "expected"),
    [
        ([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], 0.201),  # separable: every threshold in (0.2, 0.8] is free
        ([0, 0, 0], [0.3, 0.5, 0.7], 0.701),  # nobody defaults: reject no one
        ([1, 1], [0.3, 0.5], 0.001),  # everybody defaults: reject everyone
    ],
)
def test_ties_resolve_to_the_lowest_threshold(
    labels: list[int], scores: list[float], expected: float
) -> None:
    found = best_threshold(np.array(labels), np.array(scores), 10.0, 1.0)
    assert (found.value, found.cost_per_application) == (expected, 0.0)

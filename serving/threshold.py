"""θ*: the decision threshold that minimises the business cost of a model's errors on held-out data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

GRID = np.round(np.arange(1, 1000) / 1000, 3)
"""Candidate thresholds, 0.001 to 0.999."""


@dataclass(frozen=True)
class Threshold:
    value: float
    cost_per_application: float
    """(cost_fn * FN + cost_fp * FP) / applications, at `value`."""
    rejection_rate: float


def business_cost(
    labels: npt.NDArray[np.integer],
    scores: npt.NDArray[np.floating],
    threshold: float,
    cost_fn: float,
    cost_fp: float,
) -> float:
    """Cost per application when applications scoring at or above `threshold` are rejected."""
    rejected = scores >= threshold
    false_negatives = np.sum((labels == 1) & ~rejected)
    false_positives = np.sum((labels == 0) & rejected)
    return float(cost_fn * false_negatives + cost_fp * false_positives) / len(labels)


def best_threshold(
    labels: npt.NDArray[np.integer], scores: npt.NDArray[np.floating], cost_fn: float, cost_fp: float
) -> Threshold:
    """The grid threshold of least cost; the lowest one on ties, so the choice is stable."""
    order = np.argsort(scores, kind="stable")
    sorted_scores, sorted_labels = scores[order], labels[order]
    accepted = np.searchsorted(sorted_scores, GRID, side="left")  # scores below each threshold
    defaults_accepted = np.concatenate(([0], np.cumsum(sorted_labels == 1)))[accepted]
    goods_accepted = accepted - defaults_accepted
    goods_rejected = np.sum(labels == 0) - goods_accepted
    costs = (cost_fn * defaults_accepted + cost_fp * goods_rejected) / len(labels)
    best = int(np.argmin(costs))
    return Threshold(float(GRID[best]), float(costs[best]), 1 - accepted[best] / len(labels))

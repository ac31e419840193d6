"""Performance degradation, once true labels arrive: confusion counts at θ*, the business cost per application
(FN and FP costs from the stack settings) against the same cost on the reference, and ROC AUC; on the labelled
rows of the current window, and on the matured cohort, whose labels have had time to arrive."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from sklearn.metrics import roc_auc_score

from conventions.artifact_format import LABEL, SCORE


@dataclass(frozen=True)
class Confusion:
    """Positive is a default (label 1); predicted positive is a rejection (score ≥ θ*)."""

    true_positives: int
    false_positives: int
    """Good applicants rejected."""
    true_negatives: int
    false_negatives: int
    """Defaulters accepted."""

    @property
    def rows(self) -> int:
        return self.true_positives + self.false_positives + self.true_negatives + self.false_negatives

    def cost(self, cost_false_negative: float, cost_false_positive: float) -> float:
        """Business cost per application."""
        total = self.false_negatives * cost_false_negative + self.false_positives * cost_false_positive
        return total / self.rows


@dataclass(frozen=True)
class Performance:
    threshold: float
    current: Confusion
    reference: Confusion
    business_cost: float
    reference_business_cost: float
    auc: float | None
    """None when the labelled rows hold a single class: AUC is undefined."""
    reference_auc: float | None


def confusion(scores: npt.NDArray[Any], labels: npt.NDArray[Any], threshold: float) -> Confusion:
    rejected = scores >= threshold
    defaulted = labels == 1
    return Confusion(
        true_positives=int(np.sum(rejected & defaulted)),
        false_positives=int(np.sum(rejected & ~defaulted)),
        true_negatives=int(np.sum(~rejected & ~defaulted)),
        false_negatives=int(np.sum(~rejected & defaulted)),
    )


def performance(
    labelled: pa.Table,
    reference: pa.Table,
    threshold: float,
    cost_false_negative: float,
    cost_false_positive: float,
) -> Performance:
    """Every labelled row of the window, and every reference row, scored at θ*."""
    current_scores, current_labels = _scores_and_labels(labelled)
    reference_scores, reference_labels = _scores_and_labels(reference)
    current = confusion(current_scores, current_labels, threshold)
    baseline = confusion(reference_scores, reference_labels, threshold)
    return Performance(
        threshold=threshold,
        current=current,
        reference=baseline,
        business_cost=current.cost(cost_false_negative, cost_false_positive),
        reference_business_cost=baseline.cost(cost_false_negative, cost_false_positive),
        auc=_auc(current_scores, current_labels),
        reference_auc=_auc(reference_scores, reference_labels),
    )


def _scores_and_labels(table: pa.Table) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    return table.column(SCORE).to_numpy(), table.column(LABEL).to_numpy()


def _auc(scores: npt.NDArray[Any], labels: npt.NDArray[Any]) -> float | None:
    if len(np.unique(labels)) < 2:
        return None
    return float(roc_auc_score(labels, scores))


@dataclass(frozen=True)
class MaturedCohort:
    """The predictions whose labels have had time to arrive: the window of the same length ending
    drift.labelDelay before the run's, scored by the model version judged, joined with their labels.

    Credit-default labels arrive months after the prediction, so the current window is almost never labelled:
    this cohort is where the model's real business cost is known."""

    start: datetime
    end: datetime
    labelled: int
    """Rows of the cohort with a true label."""
    needed: int
    """drift.minLabelledRows: a thinner cohort is not judged."""
    threshold: float
    """ModelPerformanceDegraded's threshold: the share above the reference's cost that is a degradation."""
    performance: Performance | None
    """None when the cohort has fewer than `needed` labelled rows: insufficient labels, no verdict."""

    @property
    def cost_increase(self) -> float | None:
        """How far the cohort's cost per application is above the reference's, as a share of it."""
        if self.performance is None:
            return None
        return relative_increase(self.performance.business_cost, self.performance.reference_business_cost)

    @property
    def degraded(self) -> bool | None:
        """More than the threshold above the reference (as the alert compares); None without a verdict."""
        increase = self.cost_increase
        return None if increase is None else increase > self.threshold


def relative_increase(cost: float, reference: float) -> float:
    """cost / reference - 1, as PromQL divides: any cost above a zero reference is an infinite increase."""
    if reference == 0:
        return math.inf if cost > 0 else 0.0
    return cost / reference - 1

"""Performance at θ*: a rejection is a predicted default; cost per application from the FN and FP costs."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pytest
from sklearn.metrics import roc_auc_score

from drift_jobs.performance import (
    Confusion,
    MaturedCohort,
    Performance,
    confusion,
    performance,
    relative_increase,
)


def test_a_score_at_the_threshold_is_a_rejection() -> None:
    scores = np.array([0.1, 0.5, 0.9, 0.3, 0.5])
    labels = np.array([1, 0, 1, 0, 1])
    assert confusion(scores, labels, 0.5) == Confusion(
        true_positives=2, false_positives=1, true_negatives=1, false_negatives=1
    )


def test_the_business_cost_is_per_application() -> None:
    counts = Confusion(true_positives=5, false_positives=3, true_negatives=10, false_negatives=2)
    assert counts.cost(cost_false_negative=10.0, cost_false_positive=1.0) == (2 * 10.0 + 3 * 1.0) / 20


def test_performance_compares_the_window_with_the_reference() -> None:
    rng = np.random.default_rng(11)
    scores = rng.random(2000)
    labels = (rng.random(2000) < scores).astype(np.int8)
    current = pa.table({"score": scores[:1000], "label": labels[:1000]})
    reference = pa.table({"score": scores[1000:], "label": labels[1000:]})
    result = performance(current, reference, 0.4, cost_false_negative=10.0, cost_false_positive=1.0)
    assert result.current == confusion(scores[:1000], labels[:1000], 0.4)
    assert result.business_cost == result.current.cost(10.0, 1.0)
    assert result.reference_business_cost == confusion(scores[1000:], labels[1000:], 0.4).cost(10.0, 1.0)
    assert result.auc == roc_auc_score(labels[:1000], scores[:1000])
    assert result.reference_auc == roc_auc_score(labels[1000:], scores[1000:])


def test_auc_is_undefined_when_the_labels_hold_one_class() -> None:
    current = pa.table({"score": [0.2, 0.7, 0.9], "label": pa.array([0, 0, 0], pa.int8())})
    result = performance(current, current, 0.5, cost_false_negative=10.0, cost_false_positive=1.0)
    assert result.auc is None
    assert result.business_cost == 2 / 3


INCREASES = {
    # name: (cost, reference cost, increase): as PromQL divides
    "a fifth above": (0.6, 0.5, 0.2),
    "below the reference": (0.4, 0.5, -0.2),
    "any cost over a free reference": (0.1, 0.0, math.inf),
    "nothing over nothing": (0.0, 0.0, 0.0),
}


@pytest.mark.parametrize(("cost", "reference", "increase"), INCREASES.values(), ids=INCREASES)
def test_the_cost_increase_is_relative_to_the_reference(
    cost: float, reference: float, increase: float
) -> None:
    assert relative_increase(cost, reference) == pytest.approx(increase)


def test_a_matured_cohort_is_degraded_only_strictly_above_the_threshold() -> None:
    def cohort(cost: float, performance: bool = True) -> MaturedCohort:
        counts = Confusion(1, 1, 1, 1)
        judged = Performance(0.5, counts, counts, cost, 0.5, None, None) if performance else None
        start = datetime(2026, 8, 21, tzinfo=UTC)
        return MaturedCohort(start, start, 2000, 1000, 0.25, judged)

    assert [cohort(c).degraded for c in (0.625, 0.6251, 0.5)] == [False, True, False]
    assert (cohort(0.9, performance=False).degraded, cohort(0.9, performance=False).cost_increase) == (
        None,
        None,
    )

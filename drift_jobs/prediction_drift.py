"""Prediction drift: the distribution of the model's score, reference against current, by KS."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from conventions.artifact_format import SCORE
from drift_jobs.statistics import ks_test, numbers


@dataclass(frozen=True)
class PredictionDrift:
    statistic: float
    p_value: float
    drifted: bool
    """p-value strictly below the threshold."""


def prediction_drift(reference: pa.Table, current: pa.Table, p_value: float) -> PredictionDrift:
    test = ks_test(numbers(reference.column(SCORE)), numbers(current.column(SCORE)))
    return PredictionDrift(test.statistic, test.p_value, test.p_value < p_value)

"""What a run found, as the summary, the metrics and the command's output read it, and the rows its reports
draw from."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from conventions.artifact_format import ModelMetadata
from drift_jobs.data_drift import DataDrift
from drift_jobs.performance import MaturedCohort, Performance
from drift_jobs.prediction_drift import PredictionDrift


@dataclass(frozen=True)
class ReportRows:
    """The sampled rows the HTML reports draw from."""

    reference: pa.Table
    """Features, score and label."""
    current: pa.Table
    """Features and score."""
    labelled_reference: pa.Table
    labelled: pa.Table | None
    """Scores with their true label; None without labels."""
    matured: pa.Table | None = None
    """The matured cohort's scores with their true label; None when it is not judged (too few labels)."""


@dataclass(frozen=True)
class Rows:
    reference: int
    """Rows of the reference sample in the artifact."""
    current: int
    """Rows of the prediction log in the window."""
    reference_tested: int
    current_tested: int
    """Rows the tests compared, after sampling."""
    reference_report: int
    current_report: int
    """Rows the HTML reports are drawn from."""
    labelled: int
    """Rows of the window with a true label."""


@dataclass(frozen=True)
class Analysis:
    metadata: ModelMetadata
    rows: Rows
    data: DataDrift
    prediction: PredictionDrift
    performance: Performance | None
    """None until true labels arrive for the window."""
    matured: MaturedCohort
    """The cohort whose labels have matured, judged or found too thin."""
    reference_business_cost: float
    """The reference's cost per application at θ* with the stack's costs: what both cohorts compare with."""

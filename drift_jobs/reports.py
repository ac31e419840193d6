"""The Evidently HTML reports of a run: data drift, prediction drift and, once labels arrive, performance of the
current window and of the matured cohort.

Evidently computes its own tests on the report rows with the job's methods and thresholds; when those rows are
the tested rows (sampleSize ≤ reportRows), its figures are the pushed ones."""

from __future__ import annotations

import math
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from evidently import BinaryClassification, DataDefinition, Dataset, Report
from evidently.core.report import Snapshot
from evidently.metrics import ValueDrift
from evidently.presets import ClassificationPreset, DataDriftPreset

from conventions.artifact_format import LABEL, SCORE, ModelMetadata
from drift_jobs.data_drift import DataDrift
from drift_jobs.job_result import ReportRows
from drift_jobs.statistics import CHI_SQUARE, KS

DATA_DRIFT_REPORT = "Data_Drift_Report.html"
PREDICTION_DRIFT_REPORT = "Prediction_Drift_Report.html"
PERFORMANCE_REPORT = "Performance_Report.html"
MATURED_PERFORMANCE_REPORT = "Matured_Performance_Report.html"
"""The matured cohort (the window ending drift.labelDelay ago) against the reference, once it is judged."""


def data_drift_report(rows: ReportRows, metadata: ModelMetadata, drift: DataDrift) -> Snapshot:
    """DataDriftPreset over the important features, so its share is the verdict's; the others one by one.

    Evidently declares dataset drift when share ≥ its drift_share, the verdict when share > the threshold:
    the next float above the threshold makes the two agree."""
    definition = DataDefinition(
        numerical_columns=[f.name for f in metadata.features if not f.categorical],
        categorical_columns=[f.name for f in metadata.features if f.categorical],
    )
    preset = DataDriftPreset(
        columns=[f.name for f in drift.important],
        num_method=KS,
        cat_method=CHI_SQUARE,
        num_threshold=drift.p_value,
        cat_threshold=drift.p_value,
        drift_share=math.nextafter(drift.share_threshold, math.inf),
    )
    others = [
        ValueDrift(column=f.name, method=f.method, threshold=drift.p_value)
        for f in drift.features
        if not f.important
    ]
    features = [f.name for f in metadata.features]
    report = Report([preset, *others])
    return report.run(
        _dataset(rows.current, features, definition), _dataset(rows.reference, features, definition)
    )


def prediction_drift_report(rows: ReportRows, p_value: float) -> Snapshot:
    definition = DataDefinition(numerical_columns=[SCORE])
    report = Report([ValueDrift(column=SCORE, method=KS, threshold=p_value)])
    return report.run(
        _dataset(rows.current, [SCORE], definition), _dataset(rows.reference, [SCORE], definition)
    )


def performance_report(labelled: pa.Table, reference: pa.Table, threshold: float) -> Snapshot:
    """Classification quality at θ* (Evidently, like the service, predicts positive when score ≥ θ*)."""
    definition = DataDefinition(
        numerical_columns=[SCORE],
        categorical_columns=[LABEL],
        classification=[BinaryClassification(target=LABEL, prediction_probas=SCORE, pos_label=1)],
    )
    report = Report([ClassificationPreset(probas_threshold=threshold)])
    columns = [SCORE, LABEL]
    return report.run(_dataset(labelled, columns, definition), _dataset(reference, columns, definition))


def write_reports(folder: Path, rows: ReportRows, metadata: ModelMetadata, drift: DataDrift) -> list[str]:
    """Write the HTML reports into `folder`; their file names. Performance needs labels of both classes."""
    data_drift_report(rows, metadata, drift).save_html(str(folder / DATA_DRIFT_REPORT))
    prediction_drift_report(rows, drift.p_value).save_html(str(folder / PREDICTION_DRIFT_REPORT))
    written = [DATA_DRIFT_REPORT, PREDICTION_DRIFT_REPORT]
    if rows.labelled is not None and _both_classes(rows.labelled) and _both_classes(rows.labelled_reference):
        performance_report(rows.labelled, rows.labelled_reference, metadata.threshold).save_html(
            str(folder / PERFORMANCE_REPORT)
        )
        written.append(PERFORMANCE_REPORT)
    if rows.matured is not None and _both_classes(rows.matured) and _both_classes(rows.labelled_reference):
        performance_report(rows.matured, rows.labelled_reference, metadata.threshold).save_html(
            str(folder / MATURED_PERFORMANCE_REPORT)
        )
        written.append(MATURED_PERFORMANCE_REPORT)
    return written


def _both_classes(labelled: pa.Table) -> bool:
    """Evidently's classification report needs defaults and repayments both (it fails on one class)."""
    return len(pc.unique(labelled.column(LABEL))) == 2


def _dataset(table: pa.Table, columns: list[str], definition: DataDefinition) -> Dataset:
    """Booleans become 0/1, as the tests read them."""
    selected = table.select(columns)
    for i, field in enumerate(selected.schema):
        if pa.types.is_boolean(field.type):
            selected = selected.set_column(i, field.name, selected.column(i).cast(pa.int8()))
    return Dataset.from_pandas(selected.to_pandas(), data_definition=definition)

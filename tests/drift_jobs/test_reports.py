"""The Evidently reports show the figures the job pushes: same rows, same tests, same verdict."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from drift_jobs.data_drift import DataDrift, data_drift
from drift_jobs.job_result import ReportRows
from drift_jobs.model_artifact import read_model_artifact
from drift_jobs.performance import confusion
from drift_jobs.prediction_drift import prediction_drift
from drift_jobs.prediction_log import Window, read_window
from drift_jobs.progress import Progress
from drift_jobs.reports import data_drift_report, performance_report, prediction_drift_report
from drift_jobs.sampling import sample_rows
from drift_jobs.synthetic import Scenario
from tests.drift_fixtures import NOW, Dataset, make_dataset


def _values(snapshot: Any) -> dict[str, Any]:
    return {m["metric_name"].split("(")[0] + ":" + m["config"].get("column", ""): m["value"]
            for m in snapshot.dict()["metrics"]}  # fmt: skip


@pytest.fixture(scope="module")
def rows(shared_dataset: Dataset) -> ReportRows:
    artifact = read_model_artifact(str(shared_dataset.model))
    current = read_window(str(shared_dataset.log), Window(NOW - timedelta(days=7), NOW), artifact.metadata.features,
                          request_ids=False)  # fmt: skip
    reference = sample_rows(artifact.reference, 2000, 1)
    return ReportRows(reference, sample_rows(current, 2000, 2), reference, None)


def _drift(shared_dataset: Dataset, rows: ReportRows, important: int) -> tuple[Any, DataDrift]:
    metadata = read_model_artifact(str(shared_dataset.model)).metadata
    each = Progress(io.StringIO(), interactive=False).each
    drift = data_drift(rows.reference, rows.current, metadata, important, 0.05, 0.3, each)
    return data_drift_report(rows, metadata, drift), drift


def test_the_data_drift_report_has_the_jobs_p_values_and_share(
    shared_dataset: Dataset, rows: ReportRows
) -> None:
    snapshot, drift = _drift(shared_dataset, rows, important=10)
    values = _values(snapshot)
    for feature in drift.features:
        reported = values[f"ValueDrift:{feature.name}"]
        assert reported == pytest.approx(feature.p_value, rel=1e-12, abs=0.0)
    drifted = values["DriftedColumnsCount:"]
    assert (drifted["count"], drifted["share"]) == (len(drift.drifted_important), drift.share)


def test_at_exactly_the_threshold_the_report_declares_no_drift_either(tmp_path: Path) -> None:
    """Three of the ten important features shifted: 30 %, which is not more than 30 % (Evidently alone would
    say drift: it compares share ≥ threshold)."""
    data = make_dataset(tmp_path / "data", Scenario(shifted=("x00", "x04", "x08"), reference_rows=2000,
                                                    current_rows=2000, labelled_share=0.0))  # fmt: skip
    artifact = read_model_artifact(str(data.model))
    current = read_window(str(data.log), Window(NOW - timedelta(days=7), NOW), artifact.metadata.features,
                          request_ids=False)  # fmt: skip
    each = Progress(io.StringIO(), interactive=False).each
    drift = data_drift(artifact.reference, current, artifact.metadata, 10, 0.05, 0.3, each)
    assert (drift.share, drift.detected) == (0.3, False)
    report = data_drift_report(ReportRows(artifact.reference, current, artifact.reference, None), artifact.metadata,
                               drift)  # fmt: skip
    report.save_html(str(tmp_path / "report.html"))
    html = (tmp_path / "report.html").read_text()
    assert "Dataset Drift is NOT detected" in html and "Dataset Drift is detected" not in html


def test_the_prediction_drift_report_has_the_jobs_p_value(rows: ReportRows) -> None:
    expected = prediction_drift(rows.reference, rows.current, 0.05)
    assert _values(prediction_drift_report(rows, 0.05))["ValueDrift:score"] == expected.p_value


def test_the_performance_report_scores_at_the_same_threshold() -> None:
    rng = np.random.default_rng(5)
    scores = rng.random(3000)
    labels = (rng.random(3000) < scores).astype(np.int8)
    scores[:50] = 0.3  # some rows exactly at θ*: rejected, by the service and by both computations
    table = pa.table({"score": scores, "label": labels})
    counts = confusion(scores, labels, 0.3)
    values = _values(performance_report(table, table, 0.3))
    assert values["Accuracy:"] == (counts.true_positives + counts.true_negatives) / counts.rows
    assert values["FPR:"] == counts.false_positives / (counts.false_positives + counts.true_negatives)
    assert values["FNR:"] == counts.false_negatives / (counts.false_negatives + counts.true_positives)

"""The data-drift verdict: a feature drifts when p < pValue, drift is declared when the share of important
features that drifted is strictly above DataDriftDetected's threshold, and chance flags stay near 5 %."""

from __future__ import annotations

import io
import math
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from drift_jobs.data_drift import DataDrift, FeatureDrift, data_drift
from drift_jobs.model_artifact import ModelArtifact, read_model_artifact
from drift_jobs.prediction_log import Window, read_window
from drift_jobs.progress import Progress
from drift_jobs.synthetic import Scenario
from tests.drift_fixtures import NOW, Dataset, make_dataset

EACH = Progress(io.StringIO(), interactive=False).each


def _drift(drifted: int, important: int, threshold: float) -> DataDrift:
    features = tuple(
        FeatureDrift(f"f{i}", "ks", 0.5, 0.01 if i < drifted else 0.5, i < drifted, True)
        for i in range(important)
    )
    unimportant_drifted = FeatureDrift("other", "ks", 0.9, 0.0, True, False)
    return DataDrift((*features, unimportant_drifted), 0.05, threshold)


@pytest.mark.parametrize(
    ("drifted", "important", "threshold", "detected"),
    [(3, 10, 0.3, False), (4, 10, 0.3, True), (0, 10, 0.3, False), (1, 3, 0.3, True), (5, 10, 0.5, False),
     (10, 10, 0.99, True)],
)  # fmt: skip
def test_drift_is_declared_only_strictly_above_the_threshold(
    drifted: int, important: int, threshold: float, detected: bool
) -> None:
    result = _drift(drifted, important, threshold)
    assert result.share == drifted / important, "unimportant features do not count"
    assert result.detected is detected


def _tables(data: Dataset) -> tuple[ModelArtifact, pa.Table]:
    artifact = read_model_artifact(str(data.model))
    window = Window(NOW - timedelta(days=7), NOW)
    return artifact, read_window(str(data.log), window, artifact.metadata.features, request_ids=False)


def test_a_feature_drifts_only_when_its_p_value_is_strictly_below_the_threshold(
    shared_dataset: Dataset,
) -> None:
    artifact, current = _tables(shared_dataset)
    found = data_drift(artifact.reference, current, artifact.metadata, 10, 0.05, 0.3, EACH)
    x09 = next(f for f in found.features if f.name == "x09")
    at = data_drift(artifact.reference, current, artifact.metadata, 10, x09.p_value, 0.3, EACH)
    above = data_drift(
        artifact.reference, current, artifact.metadata, 10, math.nextafter(x09.p_value, 1), 0.3, EACH
    )
    assert not next(f for f in at.features if f.name == "x09").drifted
    assert next(f for f in above.features if f.name == "x09").drifted


def test_chance_flags_without_any_shift_stay_near_the_p_value(tmp_path: Path) -> None:
    """The false-positive rate at p < 0.05: 25 features (KS on floats, count and flag; chi-square on the
    category) for 40 unshifted datasets of 2,000 rows a side = 1,000 tests. KS is conservative on discrete values,
    so the rate may sit below 5 %, never far above it."""
    flagged = tested = 0
    for seed in range(40):
        data = make_dataset(tmp_path / str(seed), Scenario(numeric_features=22, reference_rows=2000,
                                                           current_rows=2000, labelled_share=0.0, seed=seed))  # fmt: skip
        artifact, current = _tables(data)
        found = data_drift(artifact.reference, current, artifact.metadata, 10, 0.05, 0.3, EACH)
        flagged += sum(f.drifted for f in found.features)
        tested += len(found.features)
    assert tested == 1000
    assert 0.025 <= flagged / tested <= 0.075, f"{flagged} of {tested} unshifted features flagged"

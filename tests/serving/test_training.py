"""Training: deterministic, θ* at least cost, and an artifact folder the serving and drift sides can read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from conventions.artifact_format import LABEL, METADATA_FILE, MODEL_FILE, REFERENCE_FILE, SCORE, ModelMetadata
from serving.features import NAMES, SPECS
from serving.prediction_log import SCHEMA
from serving.training import REFERENCE_ROWS, Costs, Trained, train, write_artifact


def test_training_twice_gives_byte_identical_artifacts(trained: Trained, tmp_path: Path) -> None:
    write_artifact(trained, str(tmp_path / "a"))
    write_artifact(train("credit-lgbm-test", Costs(10.0, 1.0)), str(tmp_path / "b"))
    for name in (MODEL_FILE, METADATA_FILE, REFERENCE_FILE):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_metadata_records_version_costs_features_and_every_importance(trained: Trained) -> None:
    meta = trained.metadata
    assert (meta.version, meta.cost_false_negative, meta.cost_false_positive) == (
        "credit-lgbm-test",
        10.0,
        1.0,
    )
    assert meta.features == SPECS
    assert set(meta.importances) == set(NAMES)
    assert meta.important_features(3)[0].startswith("ext_source")
    assert 0.8 < meta.reference_auc < 0.95


def test_the_threshold_beats_accepting_or_refusing_everyone(trained: Trained) -> None:
    reference = trained.reference
    labels, scores = reference[LABEL].to_numpy(), reference[SCORE].to_numpy()
    accept_all = 10.0 * labels.mean()
    refuse_all = 1.0 * (1 - labels.mean())
    assert trained.metadata.reference_business_cost < min(accept_all, refuse_all) / 2
    assert trained.threshold.rejection_rate < 0.2, "the business alert fires above 20 % refusals"
    assert np.mean(scores >= trained.metadata.threshold) == pytest.approx(
        trained.threshold.rejection_rate, abs=0.03
    )


@pytest.mark.parametrize(("cost_fn", "higher_than_default"), [(3.0, True), (30.0, False)])
def test_the_false_negative_cost_moves_the_threshold(
    trained: Trained, cost_fn: float, higher_than_default: bool
) -> None:
    moved = train("credit-lgbm-test", Costs(cost_fn, 1.0)).metadata.threshold
    assert (moved > trained.metadata.threshold) is higher_than_default


def test_the_artifact_folder_holds_model_metadata_and_a_typed_reference_sample(artifact_dir: Path) -> None:
    assert sorted(p.name for p in artifact_dir.iterdir()) == sorted(
        [MODEL_FILE, METADATA_FILE, REFERENCE_FILE]
    )
    ModelMetadata.model_validate_json((artifact_dir / METADATA_FILE).read_text())
    reference = pq.read_table(artifact_dir / REFERENCE_FILE)
    assert reference.num_rows == REFERENCE_ROWS
    assert reference.schema.names == [*NAMES, LABEL, SCORE]
    for name in NAMES:
        assert reference.schema.field(name).type == SCHEMA.field(name).type, name
    assert {str(reference.schema.field(LABEL).type), str(reference.schema.field(SCORE).type)} == {
        "int8",
        "double",
    }

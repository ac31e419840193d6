"""Loading an artifact: the same predictions as at training, and clear errors when it cannot serve."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from conventions.artifact_format import METADATA_FILE, MODEL_FILE
from serving.artifact import ArtifactError, load_artifact
from serving.features import NAMES, encode
from serving.training import Trained


def test_a_loaded_model_scores_like_the_trained_one(trained: Trained, artifact_dir: Path) -> None:
    rows = trained.reference.head(50)
    matrix = encode({name: rows[name].to_numpy() for name in NAMES})
    loaded = load_artifact(str(artifact_dir))
    assert loaded.metadata == trained.metadata
    np.testing.assert_allclose(loaded.booster.predict(matrix), trained.booster.predict(matrix), rtol=1e-12)


def _broken_copy(artifact_dir: Path, tmp_path: Path, case: str) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(artifact_dir, folder)
    metadata = json.loads((folder / METADATA_FILE).read_text())
    if case == "no model file":
        (folder / MODEL_FILE).unlink()
    elif case == "no metadata":
        (folder / METADATA_FILE).unlink()
    elif case == "renamed feature":
        metadata["features"][0]["name"] = "amt_income"
    elif case == "threshold above 1":
        metadata["threshold"] = 1.5
    if (folder / METADATA_FILE).exists():
        (folder / METADATA_FILE).write_text(json.dumps(metadata))
    return folder


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("no model file", "{folder}: no model.txt here; run `vigie model train`"),
        ("no metadata", "{folder}: no metadata.json here; run `vigie model train`"),
        (
            "renamed feature",
            "{folder}/metadata.json: features do not match the API schema (contract_type:object, ",
        ),
        ("threshold above 1", "{folder}/metadata.json: threshold: Input should be less than or equal to 1"),
    ],
)
def test_an_unusable_artifact_is_one_clear_error(
    artifact_dir: Path, tmp_path: Path, case: str, message: str
) -> None:
    folder = _broken_copy(artifact_dir, tmp_path, case)
    with pytest.raises(ArtifactError) as error:
        load_artifact(str(folder))
    assert str(error.value).startswith(message.format(folder=folder))
    assert "\n" not in str(error.value)

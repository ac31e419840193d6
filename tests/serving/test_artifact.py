"""Loading an artifact: the same predictions as at training, clear errors when it cannot serve or is not the
declared version, and publishing one to S3 (moto) for replicas to read."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from conventions.artifact_format import METADATA_FILE, MODEL_FILE
from serving.artifact import ARTIFACT_FILES, ArtifactError, content_hash, load_artifact, publish_artifact
from serving.features import NAMES, encode
from serving.training import Trained
from tests.object_storage_fixtures import S3Server


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


def test_an_artifact_of_another_version_than_declared_is_refused_naming_both(artifact_dir: Path) -> None:
    with pytest.raises(ArtifactError) as error:
        load_artifact(str(artifact_dir), "credit-lgbm-2026.11.0")
    assert str(error.value) == (
        f"{artifact_dir}: the artifact is model version credit-lgbm-test, but vigie:model.version declares "
        "credit-lgbm-2026.11.0; publish the declared version (`vigie model train`, then `vigie model publish`) or "
        "declare credit-lgbm-test"
    )


def test_a_published_artifact_loads_from_s3_as_a_replica_starts(
    artifact_dir: Path, bucket: str, s3_server: S3Server, s3_environment: dict[str, str]
) -> None:
    """Published with explicit credentials (the CLI's), loaded with the environment only (a replica's)."""
    uri = f"s3://{bucket}/models/credit-lgbm-test"
    record = publish_artifact(str(artifact_dir), uri, "credit-lgbm-test", s3_server.options())
    files = {name: hashlib.sha256((artifact_dir / name).read_bytes()).hexdigest() for name in ARTIFACT_FILES}
    assert (record.version, record.files, record.sha256) == ("credit-lgbm-test", files, content_hash(files))
    assert load_artifact(uri, "credit-lgbm-test").metadata == load_artifact(str(artifact_dir)).metadata
    with pytest.raises(ArtifactError, match=r"declares credit-lgbm-2026\.11\.0"):
        load_artifact(uri, "credit-lgbm-2026.11.0")
    s3_server.filesystem().pipe_file(f"{bucket}/models/credit-lgbm-test/{MODEL_FILE}", b"tree\n")
    with pytest.raises(ArtifactError) as changed:
        load_artifact(uri, "credit-lgbm-test")
    assert str(changed.value) == (
        f"{uri}/model.txt: differs from the published one (publication.json, version credit-lgbm-test); "
        "publish again"
    )

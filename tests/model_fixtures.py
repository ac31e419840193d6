"""Model fixtures (a plugin of tests/conftest.py): one trained model per session, and applicants as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conventions.artifact_format import LABEL, SCORE
from serving.artifact import Artifact, load_artifact
from serving.training import Costs, Trained, train, write_artifact


@pytest.fixture(scope="session")
def trained() -> Trained:
    return train("credit-lgbm-test", Costs(10.0, 1.0))


@pytest.fixture(scope="session")
def artifact_dir(trained: Trained, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("model")
    write_artifact(trained, str(folder))
    return folder


@pytest.fixture(scope="session")
def artifact(artifact_dir: Path) -> Artifact:
    return load_artifact(str(artifact_dir))


@pytest.fixture(scope="session")
def applicants(trained: Trained) -> list[dict[str, Any]]:
    """Held-out applicants as an API client sends them (JSON types, not numpy's)."""
    rows = trained.reference.drop(columns=[SCORE, LABEL]).head(200)
    return list(json.loads(rows.to_json(orient="records")))

"""Loading a model artifact folder (artifact_format) from a path or any fsspec URI."""

from __future__ import annotations

from dataclasses import dataclass

import fsspec
import lightgbm as lgb
from pydantic import ValidationError

from conventions.artifact_format import METADATA_FILE, MODEL_FILE, ModelMetadata
from conventions.errors import UserError
from serving.features import SPECS


class ArtifactError(UserError):
    """The artifact folder is missing, unreadable, or does not fit the API's feature schema."""


@dataclass(frozen=True)
class Artifact:
    booster: lgb.Booster
    metadata: ModelMetadata


def _read(fs: fsspec.AbstractFileSystem, path: str, uri: str) -> str:
    try:
        with fs.open(path, "r") as source:
            return str(source.read())
    except FileNotFoundError:
        raise ArtifactError(f"{uri}: no {path.rsplit('/', 1)[-1]} here; run `vigie model train`") from None


def load_artifact(uri: str) -> Artifact:
    """The booster and metadata under `uri`; ArtifactError when they cannot serve this API."""
    fs, root = fsspec.core.url_to_fs(uri)
    try:
        metadata = ModelMetadata.model_validate_json(_read(fs, f"{root}/{METADATA_FILE}", uri))
    except ValidationError as error:
        detail = error.errors()[0]
        where = ".".join(str(p) for p in detail["loc"])
        raise ArtifactError(f"{uri}/{METADATA_FILE}: {where}: {detail['msg']}") from None
    if metadata.features != SPECS:
        expected = ", ".join(f"{s.name}:{s.dtype}" for s in SPECS)
        raise ArtifactError(
            f"{uri}/{METADATA_FILE}: features do not match the API schema ({expected}); retrain the model"
        )
    booster = lgb.Booster(model_str=_read(fs, f"{root}/{MODEL_FILE}", uri))
    return Artifact(booster, metadata)

"""Loading a model artifact folder (artifact_format) from a path or any fsspec URI, and publishing one there.

Publishing copies a trained folder to the stack's `model.artifactUri` and writes publication.json last: the
version and a content hash of every file. A replica starts only on the version the stack declares, and, when the
folder was published, only on the model file that was published.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import fsspec
import lightgbm as lgb
from pydantic import BaseModel, ConfigDict, ValidationError

from conventions.artifact_format import METADATA_FILE, MODEL_FILE, REFERENCE_FILE, ModelMetadata
from conventions.errors import UserError
from serving.features import SPECS

PUBLICATION_FILE = "publication.json"
ARTIFACT_FILES = (MODEL_FILE, REFERENCE_FILE, METADATA_FILE)
"""What a publication copies, before its record: until the new record is written, the previous one makes a replica
refuse the model file it did not publish."""


class ArtifactError(UserError):
    """The artifact folder is missing, unreadable, or does not fit the API's feature schema."""


@dataclass(frozen=True)
class Artifact:
    booster: lgb.Booster
    metadata: ModelMetadata


class Publication(BaseModel):
    """publication.json: what `vigie model publish` wrote, so a reader can tell a changed file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    sha256: str
    """The content hash: sha256 over each file's name and sha256, in ARTIFACT_FILES order."""
    files: dict[str, str]


def _read_bytes(fs: fsspec.AbstractFileSystem, path: str, uri: str) -> bytes:
    try:
        return bytes(fs.cat_file(path))
    except FileNotFoundError:
        raise ArtifactError(f"{uri}: no {path.rsplit('/', 1)[-1]} here; run `vigie model train`") from None


def version_mismatch(uri: str, found: str, declared: str) -> ArtifactError:
    return ArtifactError(
        f"{uri}: the artifact is model version {found}, but vigie:model.version declares {declared}; publish "
        f"the declared version (`vigie model train`, then `vigie model publish`) or declare {found}"
    )


def _metadata(fs: fsspec.AbstractFileSystem, root: str, uri: str) -> ModelMetadata:
    try:
        metadata = ModelMetadata.model_validate_json(_read_bytes(fs, f"{root}/{METADATA_FILE}", uri))
    except ValidationError as error:
        detail = error.errors()[0]
        where = ".".join(str(p) for p in detail["loc"])
        raise ArtifactError(f"{uri}/{METADATA_FILE}: {where}: {detail['msg']}") from None
    if metadata.features != SPECS:
        expected = ", ".join(f"{s.name}:{s.dtype}" for s in SPECS)
        raise ArtifactError(
            f"{uri}/{METADATA_FILE}: features do not match the API schema ({expected}); retrain the model"
        )
    return metadata


def _publication(fs: fsspec.AbstractFileSystem, root: str, uri: str) -> Publication | None:
    path = f"{root}/{PUBLICATION_FILE}"
    if not fs.exists(path):
        return None
    try:
        return Publication.model_validate_json(fs.cat_file(path))
    except ValidationError:
        raise ArtifactError(f"{uri}/{PUBLICATION_FILE}: not a publication record; publish again") from None


def load_artifact(uri: str, declared_version: str | None = None) -> Artifact:
    """The booster and metadata under `uri`; ArtifactError when they cannot serve this API, are of another
    version than `declared_version` (when given), or the model file differs from the one published."""
    fs, root = fsspec.core.url_to_fs(uri)
    metadata = _metadata(fs, root, uri)
    if declared_version is not None and metadata.version != declared_version:
        raise version_mismatch(uri, metadata.version, declared_version)
    model = _read_bytes(fs, f"{root}/{MODEL_FILE}", uri)
    published = _publication(fs, root, uri)
    if published is not None and published.files.get(MODEL_FILE) != _sha256(model):
        raise ArtifactError(
            f"{uri}/{MODEL_FILE}: differs from the published one (publication.json, version "
            f"{published.version}); publish again"
        )
    return Artifact(lgb.Booster(model_str=model.decode()), metadata)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_hash(files: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for name in ARTIFACT_FILES:
        digest.update(f"{name} {files[name]}\n".encode())
    return digest.hexdigest()


def publish_artifact(
    source: str, destination: str, declared_version: str, storage_options: Mapping[str, Any]
) -> Publication:
    """Copy the artifact at `source` to `destination` (opened with `storage_options`, e.g. S3 credentials) and
    record it; ArtifactError, with nothing written, when the source cannot serve or is of another version."""
    load_artifact(source, declared_version)
    source_fs, source_root = fsspec.core.url_to_fs(source)
    contents = {name: _read_bytes(source_fs, f"{source_root}/{name}", source) for name in ARTIFACT_FILES}
    files = {name: _sha256(data) for name, data in contents.items()}
    record = Publication(version=declared_version, sha256=content_hash(files), files=files)
    try:
        fs, root = fsspec.core.url_to_fs(destination, **storage_options)
        fs.makedirs(root, exist_ok=True)
        for name, data in contents.items():
            fs.pipe_file(f"{root}/{name}", data)
        fs.pipe_file(f"{root}/{PUBLICATION_FILE}", (record.model_dump_json(indent=2) + "\n").encode())
    except (OSError, ValueError, ImportError) as error:
        raise ArtifactError(f"{destination}: cannot write ({_first_line(error)})") from None
    return record


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__

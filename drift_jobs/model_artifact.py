"""The model artifact as the drift job needs it: metadata.json (features, importances, θ*) and the reference
sample (reference.parquet), both checked against conventions.artifact_format."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import ValidationError

from conventions.artifact_format import LABEL, METADATA_FILE, REFERENCE_FILE, SCORE, ModelMetadata
from drift_jobs.errors import DriftJobError, shown
from drift_jobs.schema_checks import (
    FLOAT64,
    ColumnType,
    check_binary_labels,
    check_columns,
    check_has_values,
    feature_type,
)
from drift_jobs.storage import filesystem, join, readable

_LABEL_TYPE = ColumnType("an integer type", (pa.int8(), pa.int16(), pa.int32(), pa.int64()))


@dataclass(frozen=True)
class ModelArtifact:
    metadata: ModelMetadata
    reference: pa.Table
    """Every feature, `score` and `label`: the baseline the window is compared with."""


def read_model_artifact(uri: str) -> ModelArtifact:
    metadata = read_metadata(uri)
    return ModelArtifact(metadata, read_reference(uri, metadata))


def read_metadata(uri: str) -> ModelMetadata:
    """metadata.json, validated; its features must be testable and ranked by importance."""
    source = shown(join(uri, METADATA_FILE))
    fs, root = filesystem(uri)
    with readable(source):
        text = fs.cat_file(join(root, METADATA_FILE))
    try:
        metadata = ModelMetadata.model_validate_json(text)
    except ValidationError as error:
        detail = error.errors()[0]
        where = ".".join(str(p) for p in detail["loc"])
        raise DriftJobError(f"{source}: {where + ': ' if where else ''}{detail['msg']}") from None
    _check_features(source, metadata)
    return metadata


def _check_features(source: str, metadata: ModelMetadata) -> None:
    names = [f.name for f in metadata.features]
    if not names:
        raise DriftJobError(f"{source}: features: the model declares no features to test")
    for i, spec in enumerate(metadata.features):
        try:
            np.dtype(spec.dtype)
        except TypeError:
            raise DriftJobError(
                f"{source}: features.{i}.dtype: {spec.dtype!r} is not a numpy dtype name"
            ) from None
        if spec.dtype == "object" and not spec.categorical:
            raise DriftJobError(
                f"{source}: features.{i}: {spec.name!r} holds strings, so it must be categorical"
            )
    unranked = sorted(set(names) - set(metadata.importances))
    unknown = sorted(set(metadata.importances) - set(names))
    if unranked or unknown:
        problem = f"no importance for {unranked[0]!r}" if unranked else f"{unknown[0]!r} is not a feature"
        raise DriftJobError(f"{source}: importances: {problem} (every feature needs exactly one importance)")


def read_reference(uri: str, metadata: ModelMetadata) -> pa.Table:
    """reference.parquet: exactly the features, `score` and `label`, with at least one row."""
    source = shown(join(uri, REFERENCE_FILE))
    fs, root = filesystem(uri)
    expected = {f.name: feature_type(f) for f in metadata.features} | {SCORE: FLOAT64, LABEL: _LABEL_TYPE}
    with readable(source):
        with fs.open(join(root, REFERENCE_FILE), "rb") as handle:
            schema = pq.read_schema(handle)
        check_columns(source, schema, expected, "the model's features, score and label")
        table = pq.read_table(join(root, REFERENCE_FILE), filesystem=fs, columns=list(expected))
    if table.num_rows == 0:
        raise DriftJobError(f"{source}: the reference sample has no rows")
    check_has_values(source, table, [*(f.name for f in metadata.features), SCORE])
    check_binary_labels(source, table.column(LABEL))
    return table

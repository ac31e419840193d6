"""Checks that a data file has exactly the columns the model and the formats name, of the right types, with
values to test; each failure is one line naming the file, the column and the rule."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from conventions.artifact_format import FeatureSpec
from drift_jobs.errors import DriftJobError


@dataclass(frozen=True)
class ColumnType:
    """What a column must hold: a name for messages and the Arrow types that carry it."""

    name: str
    arrow: tuple[pa.DataType, ...]


STRING = ColumnType("string", (pa.string(), pa.large_string()))
FLOAT64 = ColumnType("float64", (pa.float64(),))
UTC_TIMESTAMP = ColumnType("timestamp[us, tz=UTC]", (pa.timestamp("us", tz="UTC"),))
LABEL = ColumnType("int8", (pa.int8(),))


def feature_type(spec: FeatureSpec) -> ColumnType:
    """The Arrow types of a feature from its numpy dtype name; `object` columns hold strings."""
    if spec.dtype == "object":
        return ColumnType("object (string)", STRING.arrow)
    return ColumnType(spec.dtype, (pa.from_numpy_dtype(np.dtype(spec.dtype)),))


def check_columns(
    source: str,
    schema: pa.Schema,
    expected: Mapping[str, ColumnType],
    expected_text: str,
    optional: Mapping[str, ColumnType] | None = None,
) -> None:
    """Exactly the expected columns, plus any of the optional ones (e.g. added by a later version of the
    writer), each of an accepted type."""
    missing = [name for name in expected if name not in schema.names]
    if missing:
        raise DriftJobError(f"{source}: missing column(s) {_names(missing)} (expected {expected_text})")
    known = {**expected, **(optional or {})}
    extra = [name for name in schema.names if name not in known]
    if extra:
        raise DriftJobError(f"{source}: unexpected column(s) {_names(extra)} (expected {expected_text})")
    for name, wanted in known.items():
        if name not in schema.names:
            continue
        actual = schema.field(name).type
        if not any(actual.equals(t) for t in wanted.arrow):
            raise DriftJobError(f"{source}: column {name!r} has type {actual}, expected {wanted.name}")


def check_has_values(source: str, table: pa.Table, columns: Iterable[str]) -> None:
    """Each column holds at least one value that is neither null nor NaN: otherwise there is nothing to test."""
    for name in columns:
        column = table.column(name)
        present = column.length() - column.null_count
        if pa.types.is_floating(column.type) and present:
            present -= pc.sum(pc.is_nan(column)).as_py() or 0
        if present == 0:
            raise DriftJobError(
                f"{source}: column {name!r} has no values (all null or NaN in {table.num_rows:,} rows)"
            )


def check_binary_labels(source: str, labels: pa.ChunkedArray) -> None:
    """True labels are 0 (repaid) or 1 (defaulted), never null."""
    if labels.null_count:
        raise DriftJobError(
            f"{source}: column 'label' has {labels.null_count:,} null value(s); labels are 0 or 1"
        )
    wrong = pc.filter(labels, pc.invert(pc.is_in(labels, pa.array([0, 1], labels.type))))
    if len(wrong):
        raise DriftJobError(f"{source}: column 'label' holds {wrong[0].as_py()}; labels are 0 or 1")


def _names(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names)

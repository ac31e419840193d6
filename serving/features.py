"""The model's features, derived from `Applicant`, and their one encoding into the matrix LightGBM reads.

Training (from a DataFrame) and serving (from validated applicants) both go through `encode`, so the two
cannot disagree on column order or on the code of a category.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from conventions.artifact_format import FeatureSpec
from serving.schema import Applicant

_DTYPES: dict[object, str] = {float: "float64", int: "int64", bool: "bool"}


@dataclass(frozen=True)
class Feature:
    """One input column: its dtype in data files, and its categories when it is categorical."""

    name: str
    dtype: str
    categories: tuple[str, ...] = ()

    @property
    def categorical(self) -> bool:
        return bool(self.categories)

    @property
    def spec(self) -> FeatureSpec:
        return FeatureSpec(name=self.name, dtype=self.dtype, categorical=self.categorical)


def _feature(name: str, annotation: Any) -> Feature:
    if typing.get_origin(annotation) is typing.Literal:
        return Feature(name, "object", tuple(typing.get_args(annotation)))
    return Feature(name, _DTYPES[annotation])


def _features() -> tuple[Feature, ...]:
    hints = typing.get_type_hints(Applicant)
    return tuple(_feature(name, hints[name]) for name in Applicant.model_fields)


FEATURES = _features()
NAMES = tuple(f.name for f in FEATURES)
CATEGORICAL_INDICES = tuple(i for i, f in enumerate(FEATURES) if f.categorical)
SPECS = [f.spec for f in FEATURES]

_CODES = {f.name: {category: float(code) for code, category in enumerate(f.categories)} for f in FEATURES}


def encode(columns: Mapping[str, Sequence[Any] | npt.NDArray[Any]]) -> npt.NDArray[np.float64]:
    """The model matrix (rows by FEATURES) from columns by feature name; categories become their codes."""
    matrix = np.empty((len(columns[NAMES[0]]), len(FEATURES)), dtype=np.float64)
    for i, feature in enumerate(FEATURES):
        values = columns[feature.name]
        if feature.categorical:
            codes = _CODES[feature.name]
            matrix[:, i] = [codes[v] for v in values]
        else:
            matrix[:, i] = np.asarray(values, dtype=np.float64)
    return matrix


def columns_of(applicants: Sequence[Applicant]) -> dict[str, list[Any]]:
    """Applicants as columns by feature name."""
    return {name: [getattr(a, name) for a in applicants] for name in NAMES}

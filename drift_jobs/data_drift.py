"""Data drift: every feature of the model tested, reference against current; the verdict is the share of the
important features (top N by model importance) that drifted, strictly above DataDriftDetected's threshold."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import pyarrow as pa

from conventions.artifact_format import FeatureSpec, ModelMetadata
from drift_jobs.statistics import column_test, method_for


@dataclass(frozen=True)
class FeatureDrift:
    name: str
    method: str
    statistic: float
    p_value: float
    drifted: bool
    """p-value strictly below the threshold."""
    important: bool


@dataclass(frozen=True)
class DataDrift:
    features: tuple[FeatureDrift, ...]
    """In the model's feature order."""
    p_value: float
    share_threshold: float

    @property
    def important(self) -> tuple[FeatureDrift, ...]:
        return tuple(f for f in self.features if f.important)

    @property
    def drifted_important(self) -> tuple[FeatureDrift, ...]:
        return tuple(f for f in self.important if f.drifted)

    @property
    def share(self) -> float:
        return len(self.drifted_important) / len(self.important)

    @property
    def detected(self) -> bool:
        """The seed's "more than 30 %": strictly above, as the DataDriftDetected alert compares."""
        return self.share > self.share_threshold


Each = Callable[[Sequence[FeatureSpec], str], Iterator[FeatureSpec]]


def data_drift(
    reference: pa.Table,
    current: pa.Table,
    metadata: ModelMetadata,
    important_features: int,
    p_value: float,
    share_threshold: float,
    each: Each,
) -> DataDrift:
    """Test each feature of the model (`each` reports progress) and keep the verdict's inputs."""
    important = set(metadata.important_features(important_features))
    results = []
    for spec in each(metadata.features, "features tested"):
        test = column_test(method_for(spec), reference.column(spec.name), current.column(spec.name))
        drifted = test.p_value < p_value
        results.append(
            FeatureDrift(
                spec.name, test.method, test.statistic, test.p_value, drifted, spec.name in important
            )
        )
    return DataDrift(tuple(results), p_value, share_threshold)

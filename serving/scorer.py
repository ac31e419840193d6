"""Scoring applicants: probabilities from the booster, decisions against θ*, and the prediction-log records.

Shared by the Ray Serve deployment (which calls it once per batch) and the benchmark's bare FastAPI app.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

import numpy as np

from conventions.artifact_format import (
    ACCEPTED,
    CORRELATION_ID,
    DECISION,
    MODEL_VERSION,
    REJECTED,
    REQUEST_ID,
    SCORE,
    TIMESTAMP,
)
from serving.artifact import Artifact
from serving.features import columns_of, encode
from serving.schema import Applicant, Decision, ModelInfo, Prediction

Record = dict[str, Any]
"""One prediction-log row: PREDICTION_COLUMNS, CORRELATION_ID and the applicant's features."""


class Scorer:
    """A loaded model and the version it reports."""

    def __init__(self, artifact: Artifact, served_version: str | None = None) -> None:
        self._booster = artifact.booster
        self.metadata = artifact.metadata
        self.threshold = artifact.metadata.threshold
        self.model_version = served_version or artifact.metadata.version

    def scores(self, applicants: Sequence[Applicant]) -> list[float]:
        """Probability of default of each applicant, in order; one model call for all of them."""
        matrix = encode(columns_of(applicants))
        return [float(s) for s in np.asarray(self._booster.predict(matrix, num_threads=1))]

    def decision(self, score: float) -> Decision:
        return cast(Decision, REJECTED if score >= self.threshold else ACCEPTED)

    def predict(
        self,
        applicants: Sequence[Applicant],
        request_ids: Sequence[str],
        correlation_ids: Sequence[str | None] | None = None,
    ) -> tuple[list[Prediction], list[Record]]:
        """Responses and prediction-log records for applicants scored now; `correlation_ids` are the callers'
        X-Request-IDs (none for offline scoring)."""
        now = datetime.now(UTC)
        predictions, records = [], []
        correlations = correlation_ids or [None] * len(applicants)
        for applicant, request_id, correlation_id, score in zip(
            applicants, request_ids, correlations, self.scores(applicants), strict=True
        ):
            decision = self.decision(score)
            predictions.append(
                Prediction(
                    request_id=request_id,
                    correlation_id=correlation_id,
                    probability_of_default=score,
                    decision=decision,
                    model_version=self.model_version,
                )
            )
            records.append(
                {
                    REQUEST_ID: request_id,
                    TIMESTAMP: now,
                    MODEL_VERSION: self.model_version,
                    SCORE: score,
                    DECISION: decision,
                    CORRELATION_ID: correlation_id,
                    **applicant.model_dump(),
                }
            )
        return predictions, records

    def info(self) -> ModelInfo:
        return ModelInfo(
            model_version=self.model_version,
            artifact_version=self.metadata.version,
            threshold=self.threshold,
            features=self.metadata.features,
        )

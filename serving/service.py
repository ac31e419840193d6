"""The scoring path behind the API: score, count, log. One model call per list of applicants."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from serving.metrics import Recorder
from serving.prediction_log import PredictionLogWriter
from serving.schema import Applicant, ModelInfo, Prediction
from serving.scorer import Scorer


class Backend(Protocol):
    """What the HTTP routes need from whoever runs the model."""

    async def predict(
        self, applicants: Sequence[Applicant], request_ids: Sequence[str], correlation_id: str | None
    ) -> list[Prediction]:
        """Score the applicants of one HTTP request: the service's ids, one each, and the caller's id."""
        ...

    def info(self) -> ModelInfo: ...

    def ready(self) -> bool: ...


class ScoringService:
    """Scores applicants, reports the decisions and queues the prediction-log records."""

    def __init__(self, scorer: Scorer, recorder: Recorder, log: PredictionLogWriter) -> None:
        self.scorer = scorer
        self._recorder = recorder
        self.log = log

    def score(
        self,
        applicants: Sequence[Applicant],
        request_ids: Sequence[str],
        correlation_ids: Sequence[str | None],
    ) -> list[Prediction]:
        predictions, records = self.scorer.predict(applicants, request_ids, correlation_ids)
        self._recorder.scored(predictions)
        self.log.append(records)
        return predictions

    def info(self) -> ModelInfo:
        return self.scorer.info()

    def ready(self) -> bool:
        return self.log.healthy


class DirectBackend:
    """Scores each HTTP request on its own, in the event loop: the bare FastAPI way."""

    def __init__(self, service: ScoringService) -> None:
        self.service = service

    async def predict(
        self, applicants: Sequence[Applicant], request_ids: Sequence[str], correlation_id: str | None
    ) -> list[Prediction]:
        return self.service.score(applicants, request_ids, [correlation_id] * len(applicants))

    def info(self) -> ModelInfo:
        return self.service.info()

    def ready(self) -> bool:
        return self.service.ready()

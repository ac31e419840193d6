"""The Ray Serve application: one `CreditScorer` deployment with a FastAPI ingress and @serve.batch scoring.

Serve configs name `serving.app:build_app` as their import path and pass ScoringOptions as its args.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import ray
from fastapi import FastAPI
from ray import serve
from ray.serve import Application, Deployment

from serving.api import build_api
from serving.artifact import load_artifact
from serving.autoscaling_policy import CPU_STAT
from serving.cpu_meter import CpuMeter
from serving.faults import FaultInjector, SharedFaults
from serving.loopback import keep_replica_on_loopback
from serving.metrics import ServeMetrics
from serving.options import DEPLOYMENT, ScoringOptions
from serving.prediction_log import LogHooks, LogOptions, PredictionLogWriter
from serving.schema import Applicant, ModelInfo, Prediction
from serving.scorer import Scorer
from serving.service import ScoringService

logger = logging.getLogger("ray.serve")


@dataclass(frozen=True)
class _Item:
    applicant: Applicant
    request_id: str
    correlation_id: str | None


class CreditScorerReplica:
    """Loads the model, exports the contract's metrics, writes the prediction log and reports its CPU to Serve."""

    def __init__(self, options: dict[str, Any]) -> None:
        keep_replica_on_loopback()
        self._options = ScoringOptions.model_validate(options)
        artifact = load_artifact(self._options.artifact_uri, self._options.declared_version)
        scorer = Scorer(artifact, self._options.model_version)
        self._metrics = ServeMetrics(scorer.model_version, scorer.threshold)
        log_options = LogOptions(
            self._options.prediction_log_uri,
            self._options.flush_rows,
            self._options.flush_interval_s,
            self._options.max_unwritten_rows,
            self._options.spool_dir,
        )
        hooks = LogHooks(
            self._metrics.log_accepted,
            self._metrics.log_written,
            self._metrics.log_dropped,
            self._metrics.log_failed,
        )
        writer = PredictionLogWriter(log_options, hooks)
        self._service = ScoringService(scorer, self._metrics, writer)
        self._faults = FaultInjector(SharedFaults()) if self._options.faults else None
        batching = cast(Any, self._score_batch)  # serve.batch's typing omits the setters it adds
        batching.set_max_batch_size(self._options.max_batch_size)
        batching.set_batch_wait_timeout_s(self._options.batch_wait_timeout_s)
        reserved = ray.get_runtime_context().get_assigned_resources()  # type: ignore[no-untyped-call]
        self._cpu = CpuMeter(reserved["CPU"])

    def __serve_build_asgi_app__(self) -> FastAPI:
        return build_api(self, self._options.max_request_bytes, self._faults)

    @serve.batch(max_batch_size=16, batch_wait_timeout_s=0.0)  # replaced from ScoringOptions at __init__
    async def _score_batch(self, items: list[_Item]) -> list[Prediction]:
        return self._service.score(
            [i.applicant for i in items], [i.request_id for i in items], [i.correlation_id for i in items]
        )

    async def predict(
        self, applicants: Sequence[Applicant], request_ids: Sequence[str], correlation_id: str | None
    ) -> list[Prediction]:
        """Each applicant joins @serve.batch on its own, with its HTTP request's ids (Serve's proxy gives every
        request an X-Request-ID, its own when the caller sent none)."""
        items = (_Item(a, r, correlation_id) for a, r in zip(applicants, request_ids, strict=True))
        return list(await asyncio.gather(*(self._score_batch(item) for item in items)))

    def info(self) -> ModelInfo:
        return self._service.info()

    def ready(self) -> bool:
        return self._service.ready()

    def record_autoscaling_stats(self) -> dict[str, float]:
        """Serve calls this on every autoscaling record tick; the policy reads the figure from its controller."""
        return {CPU_STAT: self._cpu.share()}

    def check_health(self) -> None:
        if not self._service.ready():
            raise RuntimeError("the prediction log writer has stopped")

    async def __del__(self) -> None:
        if not hasattr(self, "_service"):
            return  # the constructor failed: nothing was scored
        self._metrics.stop()
        left = await asyncio.to_thread(self._service.log.close, self._options.log_close_timeout_s)
        if left:
            logger.error(
                "prediction log: %d records could not be written before shutdown; they stay in the spool "
                "for the next replica on this disk",
                left,
            )


CreditScorer: Deployment = serve.deployment(name=DEPLOYMENT)(serve.ingress()(CreditScorerReplica))


def build_app(args: dict[str, Any]) -> Application:
    """The application a Serve config's import_path names; `args` are ScoringOptions."""
    return CreditScorer.bind(ScoringOptions.model_validate(args).model_dump())

"""The benchmark's baseline: the same model, routes, metrics and prediction log as the Ray Serve app, served
by
a bare FastAPI app under one uvicorn process (uvloop and httptools), scoring each request as it comes.

    python bench/serving_bare_app.py --artifact DIR --log DIR --port PORT
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from conventions import contract
from conventions.artifact_format import ACCEPTED
from infra.settings.model import Serving
from serving.api import build_api
from serving.artifact import load_artifact
from serving.prediction_log import LogHooks, LogOptions, PredictionLogWriter
from serving.schema import Prediction
from serving.scorer import Scorer
from serving.service import DirectBackend, ScoringService

LOG_CLOSE_TIMEOUT_S = 30.0
MAX_REQUEST_BYTES: int = Serving.model_fields["max_request_bytes"].default
"""The stack's default limit, as the Ray Serve app gets it."""


class PrometheusRecorder:
    """The contract's scoring metrics with prometheus_client, as a bare FastAPI service would export them."""

    def __init__(self, model_version: str, threshold: float) -> None:
        version = {contract.MODEL_VERSION: model_version}
        self._accepted = Counter(
            contract.ACCEPTED_CREDITS.declared, contract.ACCEPTED_CREDITS.help, list(version)
        )
        self._rejected = Counter(
            contract.REJECTED_CREDITS.declared, contract.REJECTED_CREDITS.help, list(version)
        )
        self._accepted, self._rejected = self._accepted.labels(**version), self._rejected.labels(**version)
        self._score = Histogram(contract.SCORE.declared, contract.SCORE.help, buckets=contract.SCORE.buckets)
        self._accepted_records = Counter(
            contract.PREDICTION_LOG_ACCEPTED.declared, contract.PREDICTION_LOG_ACCEPTED.help
        )
        self._written = Counter(
            contract.PREDICTION_LOG_WRITTEN.declared, contract.PREDICTION_LOG_WRITTEN.help
        )
        self._dropped = Counter(
            contract.PREDICTION_LOG_DROPPED.declared, contract.PREDICTION_LOG_DROPPED.help, [contract.REASON]
        )
        self._failed = Counter(
            contract.PREDICTION_LOG_WRITE_FAILURES.declared, contract.PREDICTION_LOG_WRITE_FAILURES.help
        )
        Gauge(contract.MODEL_VERSION_INFO.declared, contract.MODEL_VERSION_INFO.help, list(version)).labels(
            **version
        ).set(1)
        Gauge(contract.DECISION_THRESHOLD.declared, contract.DECISION_THRESHOLD.help, list(version)).labels(
            **version
        ).set(threshold)

    def scored(self, predictions: Sequence[Prediction]) -> None:
        accepted = sum(p.decision == ACCEPTED for p in predictions)
        self._accepted.inc(accepted)
        self._rejected.inc(len(predictions) - accepted)
        for prediction in predictions:
            self._score.observe(prediction.probability_of_default)

    def log_accepted(self, rows: int) -> None:
        self._accepted_records.inc(rows)

    def log_written(self, rows: int) -> None:
        self._written.inc(rows)

    def log_dropped(self, reason: str, rows: int) -> None:
        self._dropped.labels(reason).inc(rows)

    def log_failed(self) -> None:
        self._failed.inc()


def bare_app(
    artifact_uri: str, log_uri: str, flush_rows: int, flush_interval_s: float, spool_dir: str | None
) -> tuple[FastAPI, PredictionLogWriter]:
    scorer = Scorer(load_artifact(artifact_uri))
    recorder = PrometheusRecorder(scorer.model_version, scorer.threshold)
    writer = PredictionLogWriter(
        LogOptions(log_uri, flush_rows, flush_interval_s, spool_dir=spool_dir),
        LogHooks(recorder.log_accepted, recorder.log_written, recorder.log_dropped, recorder.log_failed),
    )

    @asynccontextmanager
    async def flush_on_stop(_: FastAPI) -> AsyncIterator[None]:
        yield
        left = writer.close(LOG_CLOSE_TIMEOUT_S)  # uvicorn re-raises SIGTERM once the lifespan has ended
        if left:
            print(f"prediction log: {left} records could not be written", file=sys.stderr)

    service = ScoringService(scorer, recorder, writer)
    api = build_api(DirectBackend(service), MAX_REQUEST_BYTES, lifespan=flush_on_stop)

    @api.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return api


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifact", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--flush-rows", type=int, default=1000)
    parser.add_argument("--flush-interval", type=float, default=10.0)
    parser.add_argument("--spool", help="the prediction log's write-ahead spool folder (default: none)")
    args = parser.parse_args()
    app = bare_app(args.artifact, args.log, args.flush_rows, args.flush_interval, args.spool)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()

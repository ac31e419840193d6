"""The scoring API's routes, built around a backend: Ray Serve's deployment or, for the benchmark, a bare app.

`POST /predict`, `POST /predict/batch`, `GET /healthz`, `GET /readyz`, `GET /model`; and `/admin/faults` only
when a fault injector is given. A bad payload gets a 422 listing each offending field, never a 5xx.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import Lifespan

from conventions import contract as c
from serving.faults import FaultInjector, Faults
from serving.schema import Applicant, BatchPredictions, BatchRequest, ModelInfo, Prediction, Status
from serving.service import Backend

REQUEST_ID_HEADER = "x-request-id"

RequestIds = Callable[[Request], str]


def header_or_new(request: Request) -> str:
    """The caller's X-Request-ID, or a new UUID."""
    return request.headers.get(REQUEST_ID_HEADER) or str(uuid.uuid4())


def build_api(
    backend: Backend,
    faults: FaultInjector | None = None,
    request_id: RequestIds = header_or_new,
    lifespan: Lifespan[FastAPI] | None = None,
) -> FastAPI:
    """The FastAPI app serving `backend`; `lifespan` runs around the server's life (e.g. to flush on stop)."""
    api = FastAPI(title="Vigie credit scoring", docs_url=None, redoc_url=None, lifespan=lifespan)
    api.add_exception_handler(RequestValidationError, _invalid_request)
    _scoring_routes(api, backend, faults, request_id)
    _probe_routes(api, backend)
    if faults is not None:
        _fault_routes(api, faults)
    return api


async def _invalid_request(_: Request, error: Exception) -> JSONResponse:
    """422 with each offending field's location, rule and message; the input is not echoed back (it may be
    personal data, or not even representable in JSON, such as NaN)."""
    assert isinstance(error, RequestValidationError)
    detail = [{"loc": list(e["loc"]), "type": e["type"], "msg": e["msg"]} for e in error.errors()]
    return JSONResponse({"detail": detail}, status_code=422)


def _scoring_routes(
    api: FastAPI, backend: Backend, faults: FaultInjector | None, request_id: RequestIds
) -> None:
    @api.post(c.SCORING_ROUTE)
    async def predict(applicant: Applicant, request: Request) -> Prediction:
        if faults is not None:
            await faults.apply()
        (prediction,) = await backend.predict([applicant], [request_id(request)])
        return prediction

    @api.post(c.BATCH_ROUTE)
    async def predict_batch(batch: BatchRequest, request: Request) -> BatchPredictions:
        if faults is not None:
            await faults.apply()
        base = request_id(request)
        ids = [f"{base}-{i}" for i in range(len(batch.applicants))]
        return BatchPredictions(predictions=await backend.predict(batch.applicants, ids))


def _probe_routes(api: FastAPI, backend: Backend) -> None:
    @api.get("/healthz")
    async def healthz() -> Status:
        return Status(status="ok")

    @api.get("/readyz")
    async def readyz(response: Response) -> Status:
        if backend.ready():
            return Status(status="ready")
        response.status_code = 503
        return Status(status="prediction log writer stopped")

    @api.get("/model")
    async def model() -> ModelInfo:
        return backend.info()


def _fault_routes(api: FastAPI, faults: FaultInjector) -> None:
    @api.get("/admin/faults")
    async def get_faults() -> Faults:
        return await faults.current()

    @api.post("/admin/faults")
    async def put_faults(wanted: Faults) -> Faults:
        return await faults.put(wanted)

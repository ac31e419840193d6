"""The scoring API's routes, built around a backend: Ray Serve's deployment or, for the benchmark, a bare app.

`POST /predict`, `POST /predict/batch`, `GET /healthz`, `GET /readyz`, `GET /model`; and `/admin/faults` only
when a fault injector is given. Every answer a scoring request can get is in the OpenAPI document, never a 5xx:

    200  the predictions, each with the service's own request_id (labels quote it) and the caller's
         X-Request-ID as correlation_id
    400  a body that is not JSON (empty, malformed, not UTF-8, nested too deeply), or an X-Request-ID that
         breaks CORRELATION_ID_RULE
    413  a body over max_request_bytes: refused from its Content-Length, or as soon as it streams past it,
         before any parsing
    415  a Content-Type other than application/json
    422  JSON that breaks the schema: each offending field
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import FastAPI, Header, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.types import ASGIApp, Lifespan, Receive, Scope, Send

from conventions import contract as c
from serving.faults import FaultInjector, Faults
from serving.schema import (
    CORRELATION_ID_HEADER,
    CORRELATION_ID_MAX_LENGTH,
    CORRELATION_ID_PATTERN,
    CORRELATION_ID_RULE,
    Applicant,
    BatchPredictions,
    BatchRequest,
    ErrorMessage,
    FieldErrors,
    ModelInfo,
    Prediction,
    Status,
)
from serving.service import Backend

JSON = "application/json"

CorrelationId = Annotated[
    str | None,
    Header(
        alias=CORRELATION_ID_HEADER,
        max_length=CORRELATION_ID_MAX_LENGTH,
        pattern=CORRELATION_ID_PATTERN,
        description="Your own id of the request, for your tracing: returned and logged as correlation_id "
        f"({CORRELATION_ID_RULE}; anything else is a 400). Labels quote the service's request_id instead.",
    ),
]

REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {
        "model": ErrorMessage,
        "description": f"The body is not JSON, or {CORRELATION_ID_HEADER} is not {CORRELATION_ID_RULE}.",
    },
    413: {"model": ErrorMessage, "description": "The body is larger than vigie:serving.maxRequestBytes."},
    415: {"model": ErrorMessage, "description": f"The Content-Type is not {JSON}."},
    422: {"model": FieldErrors, "description": "The JSON breaks the schema: each offending field."},
}
"""The refusals of a route that takes a JSON body, as the OpenAPI document lists them."""


def new_request_ids(count: int) -> list[str]:
    """The service's ids of `count` predictions: random, so no caller can choose, repeat or collide with one."""
    return [str(uuid.uuid4()) for _ in range(count)]


def build_api(
    backend: Backend,
    max_request_bytes: int,
    faults: FaultInjector | None = None,
    lifespan: Lifespan[FastAPI] | None = None,
) -> FastAPI:
    """The FastAPI app serving `backend`; `lifespan` runs around the server's life (e.g. to flush on stop)."""
    api = FastAPI(title="Vigie credit scoring", docs_url=None, redoc_url=None, lifespan=lifespan)
    api.add_exception_handler(RequestValidationError, _invalid_request)
    api.add_exception_handler(HTTPException, _refusal_explained(max_request_bytes))
    _scoring_routes(api, backend, faults)
    _probe_routes(api, backend)
    if faults is not None:
        _fault_routes(api, faults)
    json_routes = frozenset(
        (method, route.path)
        for route in api.routes
        if isinstance(route, APIRoute) and route.body_field is not None
        for method in route.methods or ()
    )
    api.add_middleware(RequestBodyLimitMiddleware, max_body_size=max_request_bytes)  # while it streams in
    api.add_middleware(_BodyHeaders, routes=json_routes, max_request_bytes=max_request_bytes)  # runs first
    return api


class _BodyHeaders:
    """For the routes that take a JSON body: 415 for a body not declared application/json, and 413 for one
    whose Content-Length is over the limit, before any of it is read. (Starlette's limiter, inside, counts a
    body sent without a length; it answers a declared one in plain text, so this one answers first.) Other
    routes and methods are left to routing: 404, 405."""

    def __init__(self, app: ASGIApp, routes: frozenset[tuple[str, str]], max_request_bytes: int) -> None:
        self.app = app
        self.routes = routes
        self.max_request_bytes = max_request_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope["method"], scope["path"]) in self.routes:
            refusal = self._refusal(Headers(scope=scope))
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _refusal(self, headers: Headers) -> JSONResponse | None:
        declared = headers.get("content-type", "")
        if declared.split(";", 1)[0].strip().lower() != JSON:
            got = repr(declared[:60]) if declared else "none"
            return _refused(415, f"the body must be sent as Content-Type: {JSON} (got {got})")
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_request_bytes:
            return _too_large(self.max_request_bytes)
        return None


def _refused(status: int, detail: str) -> JSONResponse:
    return JSONResponse(ErrorMessage(detail=detail).model_dump(), status_code=status)


def _too_large(max_request_bytes: int) -> JSONResponse:
    return _refused(413, f"the body is larger than {max_request_bytes} bytes")


async def _invalid_request(request: Request, error: Exception) -> JSONResponse:
    """400 when the header or the JSON itself is wrong, else 422 with each offending field's location, rule and
    message; the input is not echoed back (it may be personal data, or not even representable in JSON)."""
    assert isinstance(error, RequestValidationError)
    errors = error.errors()
    header = next((e for e in errors if e["loc"][0] == "header"), None)
    if header is not None:
        return _refused(
            400,
            f"{CORRELATION_ID_HEADER} must be {CORRELATION_ID_RULE} (got {len(header['input'])} characters)",
        )
    not_json = next((e for e in errors if e["type"] == "json_invalid"), None)
    if not_json is not None:
        where = f" at character {not_json['loc'][1]}" if len(not_json["loc"]) > 1 else ""
        return _refused(400, f"the body is not valid JSON: {not_json['ctx']['error']}{where}")
    if not await request.body():
        return _refused(400, "the body is empty: expected a JSON object")
    detail = [{"loc": list(e["loc"]), "type": e["type"], "msg": e["msg"]} for e in errors]
    return JSONResponse({"detail": detail}, status_code=422)


_UNPARSABLE = {
    UnicodeDecodeError: "the body is not valid JSON: it is not UTF-8",
    RecursionError: "the body is not valid JSON for this service: it nests too deeply",
}


def _refusal_explained(max_request_bytes: int) -> Callable[[Request, Exception], Awaitable[Response]]:
    """FastAPI's own 400 (a body Python's json could not decode) and Starlette's 413, each given a one-line
    message saying why; other HTTP errors (404, 405) as FastAPI answers them."""

    async def explained(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        if error.status_code == 413:
            return _too_large(max_request_bytes)
        cause = type(error.__cause__)
        if error.status_code == 400 and cause in _UNPARSABLE:
            return _refused(400, _UNPARSABLE[cause])
        return await http_exception_handler(request, error)

    return explained


def _scoring_routes(api: FastAPI, backend: Backend, faults: FaultInjector | None) -> None:
    @api.post(c.SCORING_ROUTE, responses=REFUSALS)
    async def predict(applicant: Applicant, correlation_id: CorrelationId = None) -> Prediction:
        if faults is not None:
            await faults.apply()
        (prediction,) = await backend.predict([applicant], new_request_ids(1), correlation_id)
        return prediction

    @api.post(c.BATCH_ROUTE, responses=REFUSALS)
    async def predict_batch(batch: BatchRequest, correlation_id: CorrelationId = None) -> BatchPredictions:
        if faults is not None:
            await faults.apply()
        ids = new_request_ids(len(batch.applicants))
        return BatchPredictions(predictions=await backend.predict(batch.applicants, ids, correlation_id))


def _probe_routes(api: FastAPI, backend: Backend) -> None:
    @api.get("/healthz")
    async def healthz() -> Status:
        return Status(status="ok")

    @api.get("/readyz", responses={503: {"model": Status, "description": "The prediction log has stopped."}})
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

    @api.post("/admin/faults", responses=REFUSALS)
    async def put_faults(wanted: Faults) -> Faults:
        return await faults.put(wanted)

"""The HTTP API in-process (FastAPI's TestClient, no Ray): answers and the ids they carry, field-level 422s,
the 400/413/415 refusals and the OpenAPI document that lists them, probes, fault routes."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, get_args

import pyarrow.dataset as ds
import pytest
from fastapi import Request
from fastapi.testclient import TestClient

from conventions.artifact_format import CORRELATION_ID, PREDICTIONS_DIR, REQUEST_ID
from infra.settings.model import MIN_REQUEST_BYTES, Serving
from serving.api import build_api
from serving.artifact import Artifact
from serving.faults import FaultInjector, LocalFaults
from serving.features import SPECS
from serving.prediction_log import LogOptions, PredictionLogWriter
from serving.schema import (
    CORRELATION_ID_MAX_LENGTH,
    CORRELATION_ID_PATTERN,
    MAX_BATCH,
    Applicant,
    Prediction,
)
from serving.scorer import Scorer
from serving.service import DirectBackend, ScoringService


class Decisions:
    """Records what the scoring path reports, as ServeMetrics does in a replica."""

    def __init__(self) -> None:
        self.decisions: list[str] = []

    def scored(self, predictions: Sequence[Prediction]) -> None:
        self.decisions += [p.decision for p in predictions]


@pytest.fixture
def service(artifact: Artifact, tmp_path: Path) -> Iterator[ScoringService]:
    writer = PredictionLogWriter(LogOptions(str(tmp_path), 1000, 3600.0))
    yield ScoringService(Scorer(artifact, "v-served"), Decisions(), writer)
    writer.close(10)


LIMIT: int = Serving.model_fields["max_request_bytes"].default


@pytest.fixture
def client(service: ScoringService) -> TestClient:
    return TestClient(build_api(DirectBackend(service), LIMIT), raise_server_exceptions=False)


def _logged(service: ScoringService, tmp_path: Path) -> dict[str, str | None]:
    """request_id → correlation_id of every logged prediction, once the writer has written all."""
    assert service.log.close(10) == 0
    table = ds.dataset(tmp_path / PREDICTIONS_DIR, format="parquet", partitioning="hive").to_table()
    ids, correlations = table.column(REQUEST_ID).to_pylist(), table.column(CORRELATION_ID).to_pylist()
    assert len(set(ids)) == len(ids)
    return dict(zip(ids, correlations, strict=True))


def test_predict_answers_its_own_request_id_and_the_callers_as_correlation_id(
    client: TestClient, service: ScoringService, applicants: list[dict[str, Any]]
) -> None:
    response = client.post("/predict", json=applicants[0], headers={"X-Request-ID": "loan-42"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "request_id",
        "correlation_id",
        "probability_of_default",
        "decision",
        "model_version",
    }
    assert (body["correlation_id"], body["model_version"]) == ("loan-42", "v-served")
    assert uuid.UUID(body["request_id"]).version == 4
    rejected = body["probability_of_default"] >= service.scorer.threshold
    assert body["decision"] == ("rejected" if rejected else "accepted")
    assert client.post("/predict", json=applicants[0]).json()["correlation_id"] is None


def test_one_x_request_id_sent_thrice_gives_three_predictions_each_with_its_own_id(
    client: TestClient, service: ScoringService, applicants: list[dict[str, Any]], tmp_path: Path
) -> None:
    answers = [client.post("/predict", json=applicants[0], headers={"X-Request-ID": "X"}) for _ in range(3)]
    ids = [a.json()["request_id"] for a in answers]
    assert len(set(ids)) == 3
    assert _logged(service, tmp_path) == dict.fromkeys(ids, "X")


def test_a_batch_gets_one_new_id_per_applicant_that_no_single_request_can_take(
    client: TestClient, service: ScoringService, applicants: list[dict[str, Any]], tmp_path: Path
) -> None:
    """Batch ids used to be the caller's id with -0, -1… appended, which single requests could choose."""
    singles = [
        client.post("/predict", json=a, headers={"X-Request-ID": f"b-{i}"}).json()
        for i, a in enumerate(applicants[:5])
    ]
    response = client.post(
        "/predict/batch", json={"applicants": applicants[:5]}, headers={"X-Request-ID": "b"}
    )
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    assert [p["probability_of_default"] for p in predictions] == pytest.approx(
        [s["probability_of_default"] for s in singles]
    )
    assert {p["correlation_id"] for p in predictions} == {"b"}
    answered = {s["request_id"]: s["correlation_id"] for s in singles + predictions}
    assert len(answered) == 10
    assert _logged(service, tmp_path) == answered


@pytest.mark.parametrize(
    ("case", "value", "length"),
    [
        ("60,000 characters", "r" * 60_000, 60_000),
        ("one over the limit", "r" * (CORRELATION_ID_MAX_LENGTH + 1), CORRELATION_ID_MAX_LENGTH + 1),
        ("a space", "loan 42", 7),
        ("a slash", "loan/42", 7),
        ("empty", "", 0),
    ],
)
def test_a_bad_x_request_id_is_a_400_naming_the_header_and_its_rule_and_nothing_is_scored(
    client: TestClient,
    service: ScoringService,
    applicants: list[dict[str, Any]],
    case: str,
    value: str,
    length: int,
) -> None:
    for path, body in (("/predict", applicants[0]), ("/predict/batch", {"applicants": applicants[:2]})):
        response = client.post(path, json=body, headers={"X-Request-ID": value})
        assert (response.status_code, response.json()) == (
            400,
            {
                "detail": f"X-Request-ID must be 1 to 128 characters from A-Za-z0-9._:- (got {length} characters)"
            },
        ), case
    assert service.log.pending == 0


def test_the_longest_x_request_id_of_every_allowed_character_is_kept_whole(
    client: TestClient, applicants: list[dict[str, Any]]
) -> None:
    value = ("Az09._:-" * 16)[:CORRELATION_ID_MAX_LENGTH]
    response = client.post("/predict", json=applicants[0], headers={"X-Request-ID": value})
    assert (response.status_code, response.json()["correlation_id"]) == (200, value)


def test_every_scored_applicant_is_reported_and_queued_for_the_log(
    client: TestClient, service: ScoringService, applicants: list[dict[str, Any]]
) -> None:
    client.post("/predict", json=applicants[0])
    client.post("/predict/batch", json={"applicants": applicants[:3]})
    client.post("/predict", json={**applicants[0], "age_years": 3})
    assert service.log.pending == 4
    assert len(service._recorder.decisions) == 4  # type: ignore[attr-defined]


def test_integral_floats_are_accepted_for_integer_fields_as_json_schema_says(
    client: TestClient, service: ScoringService, applicants: list[dict[str, Any]], tmp_path: Path
) -> None:
    counts = {"cnt_children": 2, "cnt_fam_members": 4, "region_rating": 1}
    as_ints = client.post("/predict", json={**applicants[0], **counts}).json()
    as_floats = client.post("/predict", json={**applicants[0], **{k: float(v) for k, v in counts.items()}})
    assert as_floats.status_code == 200
    assert as_floats.json()["probability_of_default"] == as_ints["probability_of_default"]
    assert service.log.close(10) == 0
    table = ds.dataset(tmp_path / PREDICTIONS_DIR, format="parquet", partitioning="hive").to_table()
    assert {name: table.column(name).to_pylist() for name in counts} == {k: [v, v] for k, v in counts.items()}


def _applicant(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {k: v for k, v in {**base, **changes}.items() if v is not ...}


FINITE = "Input should be a finite number"
BAD_APPLICANTS: list[tuple[str, dict[str, Any], list[Any], str, str | None]] = [
    ("missing field", {"amt_credit": ...}, ["body", "amt_credit"], "missing", None),
    ("number as text", {"age_years": "41"}, ["body", "age_years"], "float_type", None),
    ("too young", {"age_years": 12}, ["body", "age_years"], "greater_than_equal", None),
    ("negative income", {"amt_income_total": -1}, ["body", "amt_income_total"], "greater_than", None),
    ("unknown category", {"education": "phd"}, ["body", "education"], "literal_error", None),
    ("yes for a flag", {"own_car": "yes"}, ["body", "own_car"], "bool_type", None),
    ("fraction for a count", {"cnt_children": 1.5}, ["body", "cnt_children"], "int_from_float",
     "Input should be a whole number, got 1.5"),
    ("text for a count", {"cnt_children": "2"}, ["body", "cnt_children"], "int_type", None),
    ("true for a count", {"cnt_children": True}, ["body", "cnt_children"], "int_type", None),
    ("score above 1", {"ext_source_2": 1.2}, ["body", "ext_source_2"], "less_than_equal", None),
    ("unknown field", {"salary": 1}, ["body", "salary"], "extra_forbidden", None),
    ("NaN", {"amt_credit": float("nan")}, ["body", "amt_credit"], "finite_number", FINITE),
    ("Infinity", {"age_years": float("inf")}, ["body", "age_years"], "finite_number", FINITE),
    ("-Infinity", {"ext_source_1": float("-inf")}, ["body", "ext_source_1"], "finite_number", FINITE),
    ("NaN for a count", {"region_rating": float("nan")}, ["body", "region_rating"], "finite_number", FINITE),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "changes", "loc", "kind", "message"), BAD_APPLICANTS, ids=[c[0] for c in BAD_APPLICANTS]
)
def test_a_bad_applicant_is_a_422_naming_the_field(
    client: TestClient,
    applicants: list[dict[str, Any]],
    case: str,
    changes: dict[str, Any],
    loc: list[Any],
    kind: str,
    message: str | None,
) -> None:
    body = json.dumps(_applicant(applicants[0], **changes))  # json.dumps writes NaN, as some clients do
    response = client.post("/predict", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, case
    assert [(e["loc"], e["type"]) for e in response.json()["detail"]] == [(loc, kind)]
    if message is not None:
        assert response.json()["detail"][0]["msg"] == message


@pytest.mark.parametrize(
    ("case", "body", "loc", "kind"),
    [
        ("empty batch", {"applicants": []}, ["body", "applicants"], "too_short"),
        (
            "bad applicant in a batch",
            "second-bad",
            ["body", "applicants", 1, "region_rating"],
            "less_than_equal",
        ),
        ("batch too large", "too-many", ["body", "applicants"], "too_long"),
    ],
)
def test_a_bad_batch_is_a_422_naming_the_applicant_and_field(
    client: TestClient, applicants: list[dict[str, Any]], case: str, body: Any, loc: list[Any], kind: str
) -> None:
    if body == "second-bad":
        body = {"applicants": [applicants[0], {**applicants[1], "region_rating": 4}]}
    elif body == "too-many":
        body = {"applicants": [applicants[0]] * (MAX_BATCH + 1)}
    response = client.post("/predict/batch", json=body)
    assert response.status_code == 422, case
    assert [(e["loc"], e["type"]) for e in response.json()["detail"]] == [(loc, kind)]


def _streamed(content: bytes) -> Iterator[bytes]:
    """A body sent in chunks without a Content-Length."""
    for start in range(0, len(content), 64 * 1024):
        yield content[start : start + 64 * 1024]


JSON_TYPE = {"Content-Type": "application/json"}
TOO_LARGE = f"the body is larger than {LIMIT} bytes"
REFUSED_BODIES: list[tuple[str, Any, dict[str, str], int, str, bool]] = [
    ("empty", b"", JSON_TYPE, 400, "the body is empty: expected a JSON object", False),
    ("malformed", b"{not json", JSON_TYPE, 400,
     "the body is not valid JSON: Expecting property name enclosed in double quotes at character 1", True),
    ("not UTF-8", b'{"education": "\xff"}', JSON_TYPE, 400, "the body is not valid JSON: it is not UTF-8", True),
    ("nested too deeply", b"[" * 100_000, JSON_TYPE, 400,
     "the body is not valid JSON for this service: it nests too deeply", True),
    ("text/plain", b"{}", {"Content-Type": "text/plain"}, 415,
     "the body must be sent as Content-Type: application/json (got 'text/plain')", False),
    ("form", b"a=1", {"Content-Type": "application/x-www-form-urlencoded"}, 415,
     "the body must be sent as Content-Type: application/json (got 'application/x-www-form-urlencoded')", False),
    ("no Content-Type", b"{}", {}, 415, "the body must be sent as Content-Type: application/json (got none)", False),
    ("over the limit, by its Content-Length", b" " * (LIMIT + 1), JSON_TYPE, 413, TOO_LARGE, False),
    ("over the limit, streamed", "streamed", JSON_TYPE, 413, TOO_LARGE, False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "content", "headers", "status", "detail", "parsed"),
    REFUSED_BODIES,
    ids=[c[0] for c in REFUSED_BODIES],
)
def test_a_body_refused_before_the_schema_gets_its_status_and_a_one_line_reason(
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    case: str,
    content: Any,
    headers: dict[str, str],
    status: int,
    detail: str,
    parsed: bool,
) -> None:
    """413 and 415 are answered before the body is parsed (Request.json is never called)."""
    parses: list[bytes] = []
    original = Request.json

    async def counted(self: Request) -> Any:
        parses.append(await self.body())
        return await original(self)

    monkeypatch.setattr(Request, "json", counted)
    for path in ("/predict", "/predict/batch"):
        body = _streamed(b" " * (LIMIT + 1)) if content == "streamed" else content
        response = client.post(path, content=body, headers=headers)
        assert (response.status_code, response.json()) == (status, {"detail": detail}), case
    assert bool(parses) == parsed


def test_a_body_at_the_limit_is_parsed_and_judged_by_the_schema(client: TestClient) -> None:
    padded = b'{"applicants": []' + b" " * (LIMIT - 18) + b"}"
    assert len(padded) == LIMIT
    response = client.post(
        "/predict/batch", content=padded, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert (response.status_code, response.json()["detail"][0]["type"]) == (422, "too_short")


def _largest_applicant() -> dict[str, Any]:
    """The longest applicant JSON can spell: every float at full precision, the longest category names."""
    longest = {name: max(get_args(field.annotation), key=len)
               for name, field in Applicant.model_fields.items() if get_args(field.annotation)}  # fmt: skip
    numbers = {name: 12345678.123456789 if name.startswith("amt") else 0.12345678901234568
               for name, field in Applicant.model_fields.items() if field.annotation is float}  # fmt: skip
    return {"cnt_children": 20, "cnt_fam_members": 25, "region_rating": 3, "own_car": False,
            "own_realty": False, **longest, **numbers}  # fmt: skip


def test_the_default_limit_holds_a_full_batch_and_the_least_allowed_one_applicant() -> None:
    biggest = _largest_applicant()
    assert set(biggest) == set(Applicant.model_fields)
    batch = json.dumps({"applicants": [biggest] * MAX_BATCH}, indent=4).encode()
    assert len(batch) * 2 < LIMIT
    assert len(json.dumps({"applicants": [biggest]}, indent=4).encode()) * 4 < MIN_REQUEST_BYTES


def test_the_openapi_document_lists_every_answer_and_the_x_request_id_rule(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for path in ("/predict", "/predict/batch"):
        operation = document["paths"][path]["post"]
        refs = {code: r["content"]["application/json"]["schema"].get("$ref", "").rsplit("/", 1)[-1]
                for code, r in operation["responses"].items()}  # fmt: skip
        assert refs == {"200": refs["200"], "400": "ErrorMessage", "413": "ErrorMessage",
                        "415": "ErrorMessage", "422": "FieldErrors"}  # fmt: skip
        (header,) = operation["parameters"]
        assert (header["name"], header["in"]) == ("X-Request-ID", "header")
        assert header["schema"]["anyOf"][0] == {
            "type": "string", "maxLength": CORRELATION_ID_MAX_LENGTH, "pattern": CORRELATION_ID_PATTERN
        }  # fmt: skip
    count = document["components"]["schemas"]["Applicant"]["properties"]["cnt_children"]
    assert count["type"] == "integer"


def test_model_probes_report_version_threshold_and_features(
    client: TestClient, service: ScoringService
) -> None:
    info = client.get("/model").json()
    assert (info["model_version"], info["artifact_version"]) == ("v-served", "credit-lgbm-test")
    assert info["threshold"] == service.scorer.threshold
    assert info["features"] == [s.model_dump() for s in SPECS]
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200


def test_readiness_fails_once_the_log_writer_has_stopped(client: TestClient, service: ScoringService) -> None:
    service.log.close(10)
    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").status_code == 200


def test_fault_routes_do_not_exist_unless_faults_are_enabled(client: TestClient) -> None:
    assert client.post("/admin/faults", json={"error_rate": 1.0}).status_code == 404
    assert client.get("/admin/faults").status_code == 404


@pytest.fixture
def faulty(service: ScoringService) -> TestClient:
    api = build_api(DirectBackend(service), LIMIT, FaultInjector(LocalFaults()))
    return TestClient(api, raise_server_exceptions=False)


def test_injected_faults_answer_the_share_asked_with_500_and_add_the_delay(
    faulty: TestClient, applicants: list[dict[str, Any]]
) -> None:
    assert faulty.post("/admin/faults", json={"error_rate": 0.25, "delay_ms": 30}).json() == {
        "error_rate": 0.25,
        "delay_ms": 30,
        "cpu_burn_ms": 0,
    }
    started = time.monotonic()
    codes = [faulty.post("/predict", json=applicants[i]).status_code for i in range(20)]
    assert (codes.count(500), codes.count(200)) == (5, 15)
    assert time.monotonic() - started >= 20 * 0.030
    faulty.post("/admin/faults", json={"error_rate": 0.0, "delay_ms": 0})
    assert {faulty.post("/predict", json=a).status_code for a in applicants[:10]} == {200}


@pytest.mark.parametrize(
    "body", [{"error_rate": 1.5}, {"delay_ms": -1}, {"error_rate": "half"}, {"errors": 0.1}]
)
def test_bad_fault_settings_are_a_422(faulty: TestClient, body: dict[str, Any]) -> None:
    assert faulty.post("/admin/faults", json=body).status_code == 422

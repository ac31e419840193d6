"""The HTTP API in-process (FastAPI's TestClient, no Ray): answers, field-level 422s, probes, fault routes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from serving.api import build_api
from serving.artifact import Artifact
from serving.faults import FaultInjector, LocalFaults
from serving.features import SPECS
from serving.prediction_log import LogOptions, PredictionLogWriter
from serving.schema import MAX_BATCH, Prediction
from serving.scorer import Scorer
from serving.service import DirectBackend, ScoringService


class Decisions:
    """Records what the scoring path reports, as ServeMetrics does in a replica."""

    def __init__(self) -> None:
        self.decisions: list[str] = []

    def scored(self, predictions: Sequence[Prediction]) -> None:
        self.decisions += [p.decision for p in predictions]

    def log_written(self, rows: int) -> None:
        pass

    def log_failed(self) -> None:
        pass


@pytest.fixture
def service(artifact: Artifact, tmp_path: Path) -> Iterator[ScoringService]:
    writer = PredictionLogWriter(LogOptions(str(tmp_path), 1000, 3600.0))
    yield ScoringService(Scorer(artifact, "v-served"), Decisions(), writer)
    writer.close(10)


@pytest.fixture
def client(service: ScoringService) -> TestClient:
    return TestClient(build_api(DirectBackend(service)), raise_server_exceptions=False)


def test_predict_answers_probability_decision_version_and_the_callers_request_id(
    client: TestClient, service: ScoringService, applicants: list[dict[str, Any]]
) -> None:
    response = client.post("/predict", json=applicants[0], headers={"X-Request-ID": "loan-42"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"request_id", "probability_of_default", "decision", "model_version"}
    assert (body["request_id"], body["model_version"]) == ("loan-42", "v-served")
    rejected = body["probability_of_default"] >= service.scorer.threshold
    assert body["decision"] == ("rejected" if rejected else "accepted")


def test_a_batch_is_scored_in_order_with_one_request_id_per_applicant(
    client: TestClient, applicants: list[dict[str, Any]]
) -> None:
    singles = [client.post("/predict", json=a).json()["probability_of_default"] for a in applicants[:5]]
    response = client.post(
        "/predict/batch", json={"applicants": applicants[:5]}, headers={"X-Request-ID": "b"}
    )
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    assert [p["request_id"] for p in predictions] == [f"b-{i}" for i in range(5)]
    assert [p["probability_of_default"] for p in predictions] == pytest.approx(singles)


def test_every_scored_applicant_is_reported_and_queued_for_the_log(
    client: TestClient, service: ScoringService, applicants: list[dict[str, Any]]
) -> None:
    client.post("/predict", json=applicants[0])
    client.post("/predict/batch", json={"applicants": applicants[:3]})
    client.post("/predict", json={**applicants[0], "age_years": 3})
    assert service.log.pending == 4
    assert len(service._recorder.decisions) == 4  # type: ignore[attr-defined]


def _applicant(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {k: v for k, v in {**base, **changes}.items() if v is not ...}


BAD_APPLICANTS: list[tuple[str, dict[str, Any], list[Any], str]] = [
    ("missing field", {"amt_credit": ...}, ["body", "amt_credit"], "missing"),
    ("number as text", {"age_years": "41"}, ["body", "age_years"], "float_type"),
    ("too young", {"age_years": 12}, ["body", "age_years"], "greater_than_equal"),
    ("negative income", {"amt_income_total": -1}, ["body", "amt_income_total"], "greater_than"),
    ("unknown category", {"education": "phd"}, ["body", "education"], "literal_error"),
    ("yes for a flag", {"own_car": "yes"}, ["body", "own_car"], "bool_type"),
    ("float for a count", {"cnt_children": 1.5}, ["body", "cnt_children"], "int_type"),
    ("score above 1", {"ext_source_2": 1.2}, ["body", "ext_source_2"], "less_than_equal"),
    ("unknown field", {"salary": 1}, ["body", "salary"], "extra_forbidden"),
    ("not a number", {"amt_credit": float("nan")}, ["body", "amt_credit"], "less_than_equal"),
]


@pytest.mark.parametrize(
    ("case", "changes", "loc", "kind"), BAD_APPLICANTS, ids=[c[0] for c in BAD_APPLICANTS]
)
def test_a_bad_applicant_is_a_422_naming_the_field(
    client: TestClient,
    applicants: list[dict[str, Any]],
    case: str,
    changes: dict[str, Any],
    loc: list[Any],
    kind: str,
) -> None:
    body = json.dumps(_applicant(applicants[0], **changes))  # json.dumps writes NaN, as some clients do
    response = client.post("/predict", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, case
    assert [(e["loc"], e["type"]) for e in response.json()["detail"]] == [(loc, kind)]


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


@pytest.mark.parametrize("content", [b"", b"{not json", b"[1, 2]", b'{"age_years": NaN}'])
def test_a_body_that_is_not_an_applicant_object_is_a_422(client: TestClient, content: bytes) -> None:
    response = client.post("/predict", content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 422


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
    api = build_api(DirectBackend(service), FaultInjector(LocalFaults()))
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

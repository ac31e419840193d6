"""Driving the local scoring service: normal applicants, drifted ones, refusal-heavy ones, or normal ones
while the service injects errors, delay or CPU burn. Bounded in requests and time; faults are reset at the end."""

from __future__ import annotations

import concurrent.futures
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
import pandas as pd

from conventions import contract as c
from conventions.artifact_format import REJECTED
from infra.local.traffic_modes import Mode
from serving.artifact import Artifact
from serving.dataset import synthetic_applications
from serving.features import NAMES
from serving.schema import Applicant
from serving.scorer import Scorer

WORKERS = 8
BATCH_EVERY = 20
BATCH_SIZE = 5
POOL = 2000
"""Applicants generated per run; requests cycle through them."""
DRIFT = {"amt_income_total": 2.5, "amt_credit": 1.8, "amt_annuity": 1.8, "amt_goods_price": 1.8}
"""Drifted traffic: amounts scaled by these factors, external scores shifted down, applicants older."""


@dataclass(frozen=True)
class TrafficReport:
    mode: Mode
    sent: int
    seconds: float
    statuses: dict[int, int]

    def line(self) -> str:
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        return f"{self.mode}: {self.sent} requests in {self.seconds:.0f}s ({codes})"


def _drifted(frame: pd.DataFrame) -> pd.DataFrame:
    shifted = frame.copy()
    for column, factor in DRIFT.items():
        shifted[column] = (shifted[column] * factor).round(2)
    for column in ("ext_source_1", "ext_source_2", "ext_source_3"):
        shifted[column] = (shifted[column] * 0.6).clip(0, 1)
    shifted["age_years"] = (shifted["age_years"] + 12).clip(18, 100)
    return shifted


def applicants(mode: Mode, artifact: Artifact, seed: int) -> list[dict[str, Any]]:
    """Request bodies for a mode, each valid for POST /predict: refusal-heavy ones are all rejected by the
    model; the others keep the pool's refusal share in every prefix, so a short run is refused as often as
    the population is (no sampling luck near the business threshold)."""
    frame = synthetic_applications(POOL * (5 if mode is Mode.REFUSALS else 1), seed)[list(NAMES)]
    if mode is Mode.DRIFTED:
        frame = _drifted(frame)
    applicants = [Applicant.model_validate(row) for row in _records(frame)]
    scorer = Scorer(artifact)
    rejected = [scorer.decision(s) == REJECTED for s in scorer.scores(applicants)]
    if mode is Mode.REFUSALS:
        return [a.model_dump() for a, r in zip(applicants, rejected, strict=True) if r][:POOL]
    return [a.model_dump() for a in _interleaved(applicants, rejected)]


def with_bad_payloads(bodies: list[dict[str, Any]], share: float) -> list[dict[str, Any]]:
    """The bodies with `share` of them, spread evenly, missing their first field: the API answers 422."""
    spoiled = round(share * len(bodies))
    bad = {i * len(bodies) // spoiled for i in range(spoiled)} if spoiled else set()
    return [dict(list(body.items())[1:]) if i in bad else body for i, body in enumerate(bodies)]


def _interleaved(applicants: list[Applicant], rejected: list[bool]) -> list[Applicant]:
    """Rejected and accepted applicants merged evenly: the first k hold k x r // n of the r rejected."""
    refused = iter([a for a, r in zip(applicants, rejected, strict=True) if r])
    accepted = iter([a for a, r in zip(applicants, rejected, strict=True) if not r])
    r, n = sum(rejected), len(applicants)
    return [next(refused) if (i + 1) * r // n > i * r // n else next(accepted) for i in range(n)]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain Python values (the API's schema is strict about types)."""
    return [{k: v.item() if isinstance(v, np.generic) else v for k, v in row.items()}
            for row in frame.to_dict("records")]  # fmt: skip


def set_faults(base_url: str, error_rate: float, delay_ms: int, cpu_burn_ms: int = 0) -> None:
    """Set every fault of the service at once (serving.faults.Faults); zeros switch them off."""
    faults = {"error_rate": error_rate, "delay_ms": delay_ms, "cpu_burn_ms": cpu_burn_ms}
    response = httpx.post(f"{base_url}/admin/faults", json=faults, timeout=10)
    response.raise_for_status()


def drive(
    base_url: str, bodies: list[dict[str, Any]], mode: Mode, seconds: float, rate: float
) -> TrafficReport:
    """POST at about `rate` requests per second for `seconds`, from a few threads: to /predict, and one
    request in BATCH_EVERY to /predict/batch with the next BATCH_SIZE bodies, as a back-office caller does."""
    statuses: Counter[int] = Counter()
    started = time.monotonic()
    total = int(seconds * rate)
    with httpx.Client(timeout=30) as client, concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:

        def send(i: int) -> int:
            delay = started + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if i % BATCH_EVERY == BATCH_EVERY - 1:
                batch = [bodies[(i + k) % len(bodies)] for k in range(BATCH_SIZE)]
                return client.post(f"{base_url}{c.BATCH_ROUTE}", json={"applicants": batch}).status_code
            return client.post(f"{base_url}{c.SCORING_ROUTE}", json=bodies[i % len(bodies)]).status_code

        for status in pool.map(send, range(total)):
            statuses[status] += 1
    return TrafficReport(mode, total, time.monotonic() - started, dict(statuses))

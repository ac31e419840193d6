"""Range queries over Prometheus's HTTP API; every failure is one line naming the server and the query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from conventions import promql as p
from reports.errors import ReportError

TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Series:
    """One series of a range query: its labels and its (unix time, value) points."""

    labels: dict[str, str]
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Prometheus:
    url: str

    def query_range(self, expr: p.Expr, start: datetime, end: datetime, step: timedelta) -> list[Series]:
        """`expr` at every `step` from `start` to `end` (inclusive); the text is parsed before it is sent."""
        text = p.checked(expr.render(), "report query")
        params = {
            "query": text,
            "start": f"{start.timestamp():.0f}",
            "end": f"{end.timestamp():.0f}",
            "step": f"{step.total_seconds():.0f}",
        }
        try:
            response = httpx.get(
                f"{self.url.rstrip('/')}/api/v1/query_range", params=params, timeout=TIMEOUT_S
            )
        except httpx.HTTPError as error:
            raise ReportError(f"Prometheus at {self.url} is unreachable: {error}") from None
        body = _json(response, self.url)
        if response.status_code != 200 or body.get("status") != "success":
            problem = body.get("error") or f"HTTP {response.status_code}"
            raise ReportError(
                f"Prometheus at {self.url} refused the query {' '.join(text.split())}: {problem}"
            )
        return [
            Series(dict(s["metric"]), tuple((float(t), float(v)) for t, v in s["values"]))
            for s in body["data"]["result"]
        ]


def _json(response: httpx.Response, url: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise ReportError(
            f"Prometheus at {url} answered HTTP {response.status_code} without JSON: is it Prometheus?"
        ) from None
    if not isinstance(body, dict):
        raise ReportError(f"Prometheus at {url} answered HTTP {response.status_code} with unexpected JSON")
    return body

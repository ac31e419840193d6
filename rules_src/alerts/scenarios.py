"""Input series that hold an alert expression at a chosen value, for the generated promtool tests.

Every builder produces steady series: counters grow linearly, gauges stay flat, so the expression's value
is the same at every evaluation once the rate window holds two samples.
"""

from __future__ import annotations

import math

from conventions import contract as c
from rules_src.alert import Scenario, Series

STEP_REQUESTS = 10_000
"""Requests per 15 s sample in generated traffic; ratios are exact in ten-thousandths."""
SAMPLE_SECONDS = 15
"""The promtool series interval of request scenarios (Scenario.interval)."""
STEPS = 120
"""Samples per series: 30 minutes at 15 s, longer than any default `for`."""
MARGIN = 0.02
"""How far past (or short of) a threshold a scenario sits, relative to the threshold: close enough that a
`>` written `>=`, or a threshold off by more than 2 %, fails a generated test."""


def counter(metric: str, labels: dict[str, str], per_step: int, steps: int = STEPS) -> Series:
    return Series(metric, labels, f"0+{per_step}x{steps}")


def gauge(metric: str, labels: dict[str, str], value: float, steps: int = STEPS) -> Series:
    return Series(metric, labels, f"{value:g}x{steps}")


def nudge(threshold: float, breach: bool) -> float:
    """A ratio just past or just short of a threshold, kept within (0, 1)."""
    delta = max(threshold * MARGIN, 1 / STEP_REQUESTS)
    return min(threshold + delta, 1 - 1 / STEP_REQUESTS) if breach else max(threshold - delta, 0.0)


def split(ratio: float) -> tuple[int, int]:
    """(bad, good) requests per step for a ratio of bad requests."""
    bad = round(ratio * STEP_REQUESTS)
    return bad, STEP_REQUESTS - bad


def http_requests(labels: dict[str, str], bad_status: str, ratio: float) -> Scenario:
    """Requests of which `ratio` answer `bad_status` and the rest 200."""
    bad, good = split(ratio)
    return _requests(labels, bad_status, bad, good)


def quiet_hours(labels: dict[str, str], bad_status: str, threshold: float, min_rate: float) -> Scenario:
    """Traffic just under `min_rate` requests per second whose share of `bad_status` is above `threshold`:
    without the guard on the request rate the alert would fire."""
    per_step = max(math.ceil(min_rate * SAMPLE_SECONDS) - 1, 1)
    bad = min(math.floor(threshold * per_step) + 1, per_step)
    return _requests(labels, bad_status, bad, per_step - bad)


def _requests(labels: dict[str, str], bad_status: str, bad: int, good: int) -> Scenario:
    base = {**labels, c.ROUTE: "/", c.METHOD: "POST"}
    series = (
        counter(c.HTTP_REQUESTS.name, {**base, c.STATUS_CODE: "200"}, good),
        counter(c.HTTP_REQUESTS.name, {**base, c.STATUS_CODE: bad_status}, bad),
    )
    return Scenario(series, bad / (bad + good), dict(labels))


def latency_quantile(labels: dict[str, str], quantile: float, threshold_s: float, breach: bool) -> Scenario:
    """Latencies whose `quantile` sits just above (or below) `threshold_s`, a bucket boundary.

    Requests fill the bucket just under the threshold, except a share just over (or under) 1 - quantile
    that falls in the bucket just above; histogram_quantile interpolates linearly within a bucket.
    """
    bounds = (0.0, *c.LATENCY_BUCKETS_MS)
    i = bounds.index(threshold_s * 1000)
    lower, edge, upper = bounds[i - 1], bounds[i], bounds[i + 1]
    above = round((1 - quantile) * (1 + MARGIN if breach else 1 - MARGIN) * STEP_REQUESTS)
    below = STEP_REQUESTS - above
    rank = quantile * STEP_REQUESTS
    if rank > below:
        value_ms = edge + (rank - below) / above * (upper - edge)
    else:
        value_ms = lower + rank / below * (edge - lower)
    base = {**labels, c.ROUTE: "/", c.METHOD: "POST", c.STATUS_CODE: "200"}
    cumulative = ((lower, 0), (edge, below), (upper, STEP_REQUESTS))
    series = [
        counter(c.HTTP_LATENCY_MS.bucket, {**base, c.LE: f"{le:g}"}, n) for le, n in cumulative if le > 0
    ]
    series.append(counter(c.HTTP_LATENCY_MS.bucket, {**base, c.LE: "+Inf"}, STEP_REQUESTS))
    return Scenario(tuple(series), value_ms / 1000, dict(labels))

"""Input series that hold an alert expression at a chosen value, for the generated promtool tests.

Every builder produces steady series: counters grow linearly, gauges stay flat, so the expression's value
is the same at every evaluation once the rate window holds two samples.

The same tests must mean the same on Prometheus 2 (what promtool runs here) and 3 (what the chart deploys),
and Prometheus 3 leaves out a sample that sits exactly on a range's left edge. So no sample ever does: the
series start one interval late (a leading `_`), and the interval is 15.001 s, while evaluations and every
range and offset are whole minutes. A sample at 15.001·j s is on an edge only when 15001·j is a multiple of
60000, that is every 60000 samples (ten days), far past any scenario. `tests/rules_src/test_rule_tests.py`
checks it on the generated file.
"""

from __future__ import annotations

import math

from conventions import contract as c
from rules_src.alert import Scenario, Series

STEP_REQUESTS = 10_000
"""Requests per sample in generated traffic; ratios are exact in ten-thousandths."""
SAMPLE_SECONDS = 15.001
"""The promtool series interval of scenarios (Scenario.interval): off the minute grid, see above."""
STEPS = 120
"""Samples per series: 30 minutes at 15 s, longer than any default `for`."""
MARGIN = 0.02
"""How far past (or short of) a threshold a scenario sits, relative to the threshold: close enough that a
`>` written `>=`, or a threshold off by more than 2 %, fails a generated test."""


LATE_START = "_ "
"""No sample at 0: the first would otherwise sit on the left edge of every range at the evaluation one
range after the start."""


def counter(metric: str, labels: dict[str, str], per_step: int, steps: int = STEPS) -> Series:
    return Series(metric, labels, f"{LATE_START}0+{per_step}x{steps}")


def trailing(
    metric: str, labels: dict[str, str], per_step: int, lag_seconds: float, steps: int = STEPS
) -> Series:
    """A `counter` that trails its twin by `lag_seconds` (a writer's records not yet written): it holds what its
    twin held that long before. Its samples start with its first positive one, so that increase() extrapolates
    it back to its true zero, as it does its twin (a sample at 0 before would bend the line)."""
    lag = round(per_step * lag_seconds / SAMPLE_SECONDS)
    if lag == 0:
        return counter(metric, labels, per_step, steps)
    waiting = lag // per_step
    first = per_step * (waiting + 1) - lag
    values = f"{'_ ' * (waiting + 1)}{first}+{per_step}x{steps - waiting - 1}"
    return Series(metric, labels, LATE_START + values)


def gauge(metric: str, labels: dict[str, str], value: float, steps: int = STEPS) -> Series:
    return Series(metric, labels, f"{LATE_START}{value:g}x{steps}")


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


WORKER_PODS = ("scoring-worker-0", "scoring-worker-1")
"""The proxies requests are split between, as on a cluster with two worker pods: rules must sum them."""


def _requests(labels: dict[str, str], bad_status: str, bad: int, good: int) -> Scenario:
    series = []
    for i, pod in enumerate(WORKER_PODS):
        base = {**labels, c.POD: pod, c.NODE_TYPE_POD_LABEL: c.WORKER_NODE, c.ROUTE: c.SCORING_ROUTE,
                c.METHOD: "POST"}  # fmt: skip
        for status, total in (("200", good), (bad_status, bad)):
            share = _share_of(total, i, len(WORKER_PODS))
            series.append(counter(c.HTTP_REQUESTS.name, {**base, c.STATUS_CODE: status}, share))
    return Scenario(tuple(series), bad / (bad + good), dict(labels))


def _share_of(total: int, i: int, parts: int) -> int:
    """The i-th of `parts` near-equal whole shares of `total`."""
    return total // parts + (1 if i < total % parts else 0)


def latency_quantile(
    labels: dict[str, str], quantile: float, threshold_s: float, breach: bool, route: str, other_route: str
) -> Scenario:
    """Latencies of `route` whose `quantile` sits just above (or below) `threshold_s`, a bucket boundary,
    beside as many requests to `other_route` that would flip the verdict if the routes were mixed: all fast
    when `route` breaches, all slower than any bucket when it does not.

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
    bounds_used = tuple(le for le in (lower, edge, upper) if le > 0)
    measured = _histogram(
        labels, route, dict(zip((lower, edge, upper), (0, below, STEP_REQUESTS), strict=True))
    )
    noise = _histogram(labels, other_route, dict.fromkeys(bounds_used, STEP_REQUESTS if breach else 0))
    return Scenario(measured + noise, value_ms / 1000, dict(labels))


def _histogram(labels: dict[str, str], route: str, cumulative: dict[float, int]) -> tuple[Series, ...]:
    """Latency buckets of `route`: requests at or under each bound, then all of them under +Inf."""
    base = {**labels, c.ROUTE: route, c.METHOD: "POST", c.STATUS_CODE: "200"}
    finite = [
        counter(c.HTTP_LATENCY_MS.bucket, {**base, c.LE: f"{le:g}"}, n)
        for le, n in cumulative.items()
        if le > 0
    ]
    return (*finite, counter(c.HTTP_LATENCY_MS.bucket, {**base, c.LE: "+Inf"}, STEP_REQUESTS))

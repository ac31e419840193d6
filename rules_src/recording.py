"""Recording rules: the seed's derived series under the seed's names, and Vigie's own under
level:metric:operations. Alerts and dashboards read these rather than repeating the arithmetic.
"""

from __future__ import annotations

from rules_src.alert import Scope
from serving import contract as c

_BY = f"{c.NAMESPACE}, {c.APPLICATION}"

_RATE = "sum by ({by}) (rate({metric}{{{sel}}}[{window}]))"


def _share(scope: Scope, status: str) -> str:
    """Share of requests whose status matches `status`; 0 (not absent) while none do."""
    sel = scope.scoring
    matching = _RATE.format(by=_BY, metric=c.HTTP_REQUESTS.name, sel=f'{sel},{c.STATUS_CODE}=~"{status}"',
                            window="1m")  # fmt: skip
    total = _RATE.format(by=_BY, metric=c.HTTP_REQUESTS.name, sel=sel, window="1m")
    return f"(\n  {matching}\n  or\n  {total} * 0\n)\n/\n{total}"


def _quantile(scope: Scope, q: float) -> str:
    buckets = _RATE.format(
        by=f"{_BY}, {c.LE}", metric=c.HTTP_LATENCY_MS.bucket, sel=scope.scoring, window="1m"
    )
    return f"histogram_quantile({q}, {buckets}) / 1000"


def _increase(scope: Scope, metric: str) -> str:
    return f"sum by ({_BY}) (increase({metric}{{{scope.scoring}}}[1h]))"


def _refusal_rate(scope: Scope) -> str:
    rejected = _RATE.format(by=_BY, metric=c.REJECTED_CREDITS.name, sel=scope.scoring, window="10m")
    accepted = _RATE.format(by=_BY, metric=c.ACCEPTED_CREDITS.name, sel=scope.scoring, window="10m")
    return f"{rejected}\n/\n(\n  {rejected}\n  +\n  {accepted}\n)"


def _score_mean(scope: Scope) -> str:
    total = _RATE.format(by=_BY, metric=c.SCORE.sum, sel=scope.scoring, window="5m")
    count = _RATE.format(by=_BY, metric=c.SCORE.count, sel=scope.scoring, window="5m")
    return f"{total}\n/\n{count}"


def recording_rules(scope: Scope) -> list[dict[str, str]]:
    """The recording rules for one stack's scoring service, in dependency order."""
    cpu = f"avg by ({c.NAMESPACE}) ({c.NODE_CPU_UTILIZATION.name}{{{scope.cluster}}})"
    exprs = {
        c.REQUEST_RATE: _RATE.format(by=_BY, metric=c.HTTP_REQUESTS.name, sel=scope.scoring, window="1m"),
        c.ERROR_RATE_5XX: _share(scope, "5.."),
        c.API_ERROR_RATE: _share(scope, "[45].."),
        c.LATENCY_P50: _quantile(scope, 0.5),
        c.LATENCY_P95: _quantile(scope, 0.95),
        c.LATENCY_P99: _quantile(scope, 0.99),
        c.CPU_USAGE: cpu,
        c.ACCEPTED_COUNT: _increase(scope, c.ACCEPTED_CREDITS.name),
        c.REJECTED_COUNT: _increase(scope, c.REJECTED_CREDITS.name),
        c.SCORE_MEAN: _score_mean(scope),
        c.REFUSAL_RATE: _refusal_rate(scope),
    }
    missing = set(c.RECORDINGS) - set(exprs)
    if missing:
        raise ValueError(f"contract recordings without an expression: {sorted(r.name for r in missing)}")
    return [{"record": rec.name, "expr": exprs[rec]} for rec in c.RECORDINGS]

"""The report's PromQL, built from the metric contract and the stack's scope: daily decisions and scores, and
the minutes the business alerts fired.

Daily figures come from the service's own counters (increase over each UTC day) rather than from the hourly
recording rules: a day's increase is exact whatever the rule evaluation did, and a week is the sum of its days.
"""

from __future__ import annotations

from conventions import contract as c
from conventions import promql as p
from dashboards_src.queries import prometheus as prom
from rules_src.alert import Scope

DAY_WINDOW = "1d"
ALERT_STEP = "1m"
"""The alert history's resolution: a firing that lasted less than a minute still shows in its minute."""


def daily_by_version(scope: Scope, counter: c.Metric) -> p.Expr:
    """How much a decision counter grew over each day, per model version."""
    return p.sum(p.increase(scope.scoring(counter.name), DAY_WINDOW), by=(c.MODEL_VERSION,))


def daily_total(scope: Scope, series: str) -> p.Expr:
    """How much a counter series (a histogram's _sum or _count) grew over each day, over the whole service."""
    return p.sum(p.increase(scope.scoring(series), DAY_WINDOW))


def alerts_firing(scope: Scope, alertnames: tuple[str, ...]) -> p.Expr:
    """1 in each minute one of `alertnames` fired for the service, by alert name."""
    selector = scope.scoring(
        prom.ALERTS, p.one_of(prom.ALERTNAME, alertnames), p.equals(prom.ALERTSTATE, prom.FIRING)
    )
    return p.max(p.Call("max_over_time", (p.Range(selector, ALERT_STEP),)), by=(prom.ALERTNAME,))

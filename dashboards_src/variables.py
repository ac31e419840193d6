"""The dashboards' template variables: their names, the scope they give every query, the queries that list
their values; and Grafana's built-in variables. Shared by queries and frames."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from conventions import contract as c
from conventions import promql as p

PROMETHEUS = "prometheus"
"""The datasource plugin every panel queries."""

DATASOURCE = "datasource"
NAMESPACE = "namespace"
APPLICATION = "application"
STACK = "stack"

SCOPE = p.Scope.grafana(NAMESPACE, APPLICATION, STACK)
"""Whose series every panel reads: the namespace, application and stack the reader picked."""

RATE_INTERVAL = "$__rate_interval"
"""Grafana's window for rate(): at least four scrape intervals, and wider when the panel zooms out."""
RANGE = "$__range"
"""Grafana's dashboard time range, for totals over what the reader is looking at."""

_LABEL_VALUES = re.compile(r"^label_values\((?P<series>.+),\s*(?P<label>\w+)\)$", re.DOTALL)


def label_values(series: p.Selector, label: str) -> str:
    """A variable query in Grafana's syntax, not PromQL: the values `label` takes on `series`."""
    return f"label_values({series.render()}, {label})"


def label_values_series(query: str) -> str:
    """The series selector of a `label_values(series, label)` query, the only PromQL in it; ValueError on
    any other query."""
    match = _LABEL_VALUES.match(query)
    if match is None:
        raise ValueError(f"not a label_values(series, label) query: {query!r}")
    return match["series"]


NAMESPACES = label_values(p.select(c.HTTP_REQUESTS.name), c.NAMESPACE)
"""The namespaces where a scoring service answers requests."""
APPLICATIONS = label_values(SCOPE.cluster(c.HTTP_REQUESTS.name), c.APPLICATION)
"""The applications of the picked namespace."""
STACKS = label_values(p.select(c.DRIFT_SHARE.name, p.equals(c.JOB, c.DRIFT_PUSH_JOB)), c.STACK)
"""The stacks whose drift job has pushed a verdict."""

GRAFANA_GLOBALS = {"__rate_interval": "1m", "__range": "1h", "__interval": "30s"}
"""Grafana's built-in variables, with values such as Grafana substitutes before a query reaches Prometheus."""
_VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")


def substitute(expr: str, board: dict[str, Any], globals_: dict[str, str] = GRAFANA_GLOBALS) -> str:
    """A panel query as Grafana sends it: the dashboard's variables at their current values, Grafana's own
    set; KeyError on a variable the dashboard does not define."""
    values = {v["name"]: v["current"]["value"] for v in board["templating"]["list"]} | globals_
    return _VARIABLE.sub(lambda m: str(values[m.group(1) or m.group(2)]), expr)


def panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel that shows data: rows are only headers (and hold their panels when collapsed)."""
    for panel in board["panels"]:
        if panel["type"] == "row":
            yield from panel.get("panels", [])
        else:
            yield panel

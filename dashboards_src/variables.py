"""Names of the dashboards' template variables and of Grafana's built-in ones, shared by queries and frames."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

PROMETHEUS = "prometheus"
"""The datasource plugin every panel queries."""

DATASOURCE = "datasource"
NAMESPACE = "namespace"
APPLICATION = "application"
STACK = "stack"

RATE_INTERVAL = "$__rate_interval"
"""Grafana's window for rate(): at least four scrape intervals, and wider when the panel zooms out."""
RANGE = "$__range"
"""Grafana's dashboard time range, for totals over what the reader is looking at."""


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

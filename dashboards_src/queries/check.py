"""Every query of a built dashboard, parsed as Prometheus receives it: a malformed one stops `vigie render`
with the dashboard's and the panel's (or variable's) names."""

from __future__ import annotations

from typing import Any

from conventions import promql as p
from dashboards_src import variables as v


def check_queries(board: dict[str, Any]) -> None:
    """Panel targets and the series of `label_values` variables; PromQLError on the first bad one."""
    uid = board["uid"]
    for panel in v.panels(board):
        for target in panel["targets"]:
            _check(target["expr"], board, f"dashboard {uid}, panel {panel['title']!r}")
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            what = f"dashboard {uid}, variable ${variable['name']}"
            try:
                series = v.label_values_series(variable["query"])
            except ValueError as error:
                raise p.PromQLError(f"{what}: {error}") from None
            _check(series, board, what)


def _check(query: str, board: dict[str, Any], what: str) -> None:
    """Grafana substitutes its variables before Prometheus parses the query; so does this check."""
    try:
        sent = v.substitute(query, board)
    except KeyError as error:
        raise p.PromQLError(f"{what}: ${error.args[0]} is not a variable of the dashboard") from None
    p.checked(sent, what)

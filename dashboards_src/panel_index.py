"""The panels of a stack's built dashboards as the runbooks point at them: each with the series its queries
read, found in the queries' syntax trees once Grafana's variables are substituted as Grafana does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dashboards_src import variables as v
from rules_src.runbooks import Panel, metric_names


def panel_index(boards: Mapping[str, dict[str, Any]]) -> tuple[Panel, ...]:
    """Every data panel of `boards` (uid → dashboard JSON), in dashboard then panel order."""
    return tuple(_panel(board, panel) for board in boards.values() for panel in v.panels(board))


def _panel(board: dict[str, Any], panel: dict[str, Any]) -> Panel:
    reads = frozenset().union(*(metric_names(v.substitute(t["expr"], board)) for t in panel["targets"]))
    return Panel(board["uid"], board["title"], panel["id"], panel["title"], panel["type"], reads,
                 _label_variables(board))  # fmt: skip


def _label_variables(board: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The variables listing label values, at their defaults: what a link passes as `var-<name>`."""
    return tuple(
        (var["name"], str(var["current"]["value"]))
        for var in board["templating"]["list"]
        if var["type"] == "query"
    )

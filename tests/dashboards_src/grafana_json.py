"""Reading rendered dashboards the way Grafana does: panels, queries, variables and their substitution."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from dashboards_src import uids
from infra.artifacts import render_stack
from infra.settings import Stack, load_stack, stack_names
from tests.conftest import PROJECT_DIR

STACKS = tuple(stack_names(PROJECT_DIR))
UIDS = (uids.OPERATIONS, uids.MODEL_BUSINESS, uids.DRIFT)
STACK_DASHBOARDS = [(stack, uid) for stack in STACKS for uid in UIDS]

GRAFANA_GLOBALS = {"__rate_interval": "1m", "__range": "1h", "__interval": "30s"}
"""Grafana's built-in variables, with values such as Grafana substitutes before a query reaches Prometheus."""
_VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")
_LABEL_VALUES = re.compile(r"^label_values\((?P<selector>.+),\s*(?P<label>\w+)\)$", re.DOTALL)


def dashboard_path(uid: str) -> str:
    return f"dashboards/{uid}.json"


@cache
def stack(name: str) -> Stack:
    return load_stack(PROJECT_DIR, name)


@cache
def rendered(name: str) -> dict[str, str]:
    """Every file `vigie render` writes for the stack."""
    return render_stack(stack(name))


def dashboard(stack_name: str, uid: str) -> dict[str, Any]:
    return json.loads(rendered(stack_name)[dashboard_path(uid)])  # type: ignore[no-any-return]


def panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel that shows data: rows are only headers (and hold their panels when collapsed)."""
    for panel in board["panels"]:
        if panel["type"] == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def targets(board: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for panel in panels(board):
        for target in panel["targets"]:
            yield panel, target


def variables(board: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {variable["name"]: variable for variable in board["templating"]["list"]}


def substitute(expr: str, board: dict[str, Any]) -> str:
    """The expression with the dashboard's variables at their current values and Grafana's globals set;
    KeyError on a variable the dashboard does not define."""
    values = {name: variable["current"]["value"] for name, variable in variables(board).items()}
    values |= GRAFANA_GLOBALS
    return _VARIABLE.sub(lambda m: values[m.group(1) or m.group(2)], expr)


def label_values_query(query: str) -> tuple[str, str]:
    """(selector, label) of a Grafana `label_values(selector, label)` variable query."""
    match = _LABEL_VALUES.match(query)
    assert match is not None, f"not a label_values() query: {query!r}"
    return match["selector"], match["label"]


def query_variables(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [variable for variable in board["templating"]["list"] if variable["type"] == "query"]


def threshold_values(panel: dict[str, Any]) -> list[float]:
    """Values of the panel's threshold steps, its defaults' and its overrides', without the base step."""
    step_lists = [panel["fieldConfig"]["defaults"]["thresholds"]["steps"]]
    for override in panel["fieldConfig"]["overrides"]:
        step_lists += [p["value"]["steps"] for p in override["properties"] if p["id"] == "thresholds"]
    return [step["value"] for steps in step_lists for step in steps if step["value"] is not None]


def panels_titled(board: dict[str, Any], title: str) -> list[dict[str, Any]]:
    found = [panel for panel in panels(board) if panel["title"] == title]
    assert found, f"no panel titled {title!r} in {board['uid']}"
    return found

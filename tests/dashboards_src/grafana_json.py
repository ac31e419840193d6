"""Reading rendered dashboards the way Grafana does: panels, queries, variables and their substitution."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from conventions import dashboard_uids as uids
from dashboards_src.variables import panels
from infra.artifacts import render_stack
from infra.settings import stack_names
from rules_src.stack import Stack, load_stack
from tests.conftest import PROJECT_DIR

STACKS = tuple(stack_names(PROJECT_DIR))
UIDS = (uids.OPERATIONS, uids.MODEL_BUSINESS, uids.DRIFT)
STACK_DASHBOARDS = [(stack, uid) for stack in STACKS for uid in UIDS]

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


def targets(board: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for panel in panels(board):
        for target in panel["targets"]:
            yield panel, target


def variables(board: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {variable["name"]: variable for variable in board["templating"]["list"]}


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

"""The rendered dashboards are JSON Grafana loads as written: a sane grid, unique ids, queries on the datasource
variable, the house frame (uid, tags, variables, links), small enough for a ConfigMap, and reproducible."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from conventions import dashboard_uids as uids
from dashboards_src.build import dashboards
from dashboards_src.variables import panels
from infra.artifacts import render_stack
from infra.serialize import to_json
from tests.dashboards_src.grafana_json import (
    STACK_DASHBOARDS,
    STACKS,
    UIDS,
    dashboard,
    dashboard_path,
    rendered,
    stack,
    targets,
    variables,
)

CONFIGMAP_LIMIT = 1024 * 1024
"""Kubernetes's limit on a ConfigMap's data; a dashboard ships as one ConfigMap."""
SIZE_BUDGET = CONFIGMAP_LIMIT // 8
"""Well under the limit: room to grow eightfold."""
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
GRID_COLUMNS = 24
MODERN_SCHEMA = 36
"""Grafana 9's schema: from here on, panels take datasource references and fieldConfig as written."""


def _cells(panel: dict[str, Any]) -> set[tuple[int, int]]:
    pos = panel["gridPos"]
    return {
        (x, y) for x in range(pos["x"], pos["x"] + pos["w"]) for y in range(pos["y"], pos["y"] + pos["h"])
    }


@pytest.mark.parametrize(("stack_name", "uid"), STACK_DASHBOARDS)
def test_dashboard_json_is_well_under_the_configmap_limit(stack_name: str, uid: str) -> None:
    size = len(rendered(stack_name)[dashboard_path(uid)].encode("utf-8"))
    assert size < SIZE_BUDGET, f"{uid}.json is {size} bytes"


@pytest.mark.parametrize(("stack_name", "uid"), STACK_DASHBOARDS)
def test_panels_have_unique_ids_and_sane_non_overlapping_grid_positions(stack_name: str, uid: str) -> None:
    board = dashboard(stack_name, uid)
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids)) and all(isinstance(i, int) and i > 0 for i in ids)
    for panel in board["panels"]:
        pos = panel["gridPos"]
        assert set(pos) == {"h", "w", "x", "y"}, panel["title"]
        assert pos["w"] >= 1 and pos["h"] >= 1 and pos["x"] >= 0 and pos["y"] >= 0, panel["title"]
        assert pos["x"] + pos["w"] <= GRID_COLUMNS, panel["title"]
    for a, b in itertools.combinations(board["panels"], 2):
        assert not _cells(a) & _cells(b), f"{a['title']!r} overlaps {b['title']!r}"


@pytest.mark.parametrize(("stack_name", "uid"), STACK_DASHBOARDS)
def test_every_panel_queries_prometheus_through_the_datasource_variable(stack_name: str, uid: str) -> None:
    board = dashboard(stack_name, uid)
    datasource = variables(board)["datasource"]
    assert (datasource["type"], datasource["query"]) == ("datasource", "prometheus")
    for panel in panels(board):
        assert panel["datasource"] == DATASOURCE, panel["title"]
        ref_ids = [target["refId"] for target in panel["targets"]]
        assert ref_ids and len(ref_ids) == len(set(ref_ids)) and all(ref_ids), panel["title"]
    for panel, target in targets(board):
        assert target["datasource"] == DATASOURCE and target["expr"].strip(), panel["title"]
    for variable in variables(board).values():
        if variable["type"] == "query":
            assert variable["datasource"] == DATASOURCE, variable["name"]


@pytest.mark.parametrize(("stack_name", "uid"), STACK_DASHBOARDS)
def test_threshold_steps_start_from_a_base_and_ascend(stack_name: str, uid: str) -> None:
    """Grafana reads steps in order: a base step (value null), then strictly increasing values."""
    for panel in panels(dashboard(stack_name, uid)):
        step_lists = [panel["fieldConfig"]["defaults"]["thresholds"]["steps"]]
        for override in panel["fieldConfig"]["overrides"]:
            step_lists += [p["value"]["steps"] for p in override["properties"] if p["id"] == "thresholds"]
        for steps in step_lists:
            values = [step["value"] for step in steps]
            assert values[0] is None and values[1:] == sorted(set(values[1:])), (panel["title"], values)


@pytest.mark.parametrize(("stack_name", "uid"), STACK_DASHBOARDS)
def test_dashboard_has_its_stable_uid_tags_and_a_modern_schema(stack_name: str, uid: str) -> None:
    board = dashboard(stack_name, uid)
    assert board["uid"] == uid
    assert "vigie" in board["tags"] and len(board["tags"]) >= 2
    assert board["schemaVersion"] >= MODERN_SCHEMA
    assert board["title"].startswith("Vigie / ")
    assert board["id"] is None, "provisioned dashboards carry no database id"


LIVE = {uids.OPERATIONS, uids.MODEL_BUSINESS}
"""Dashboards of scraped series; the drift dashboard shows weekly runs and keeps its own time range."""


@pytest.mark.parametrize(("stack_name", "uid"), STACK_DASHBOARDS)
def test_dashboard_links_to_the_other_two_and_to_the_runbooks(stack_name: str, uid: str) -> None:
    links = {link["url"]: link for link in dashboard(stack_name, uid)["links"]}
    others = {f"/d/{other}": other for other in UIDS if other != uid}
    runbooks = stack(stack_name).settings.alerting.runbook_base_url.join("README.md")
    assert set(links) == set(others) | {runbooks}
    for url, other in others.items():
        assert links[url]["includeVars"], "the datasource choice follows the reader"
        assert links[url]["keepTime"] == ({uid, other} <= LIVE)
    assert links[runbooks]["targetBlank"]


@pytest.mark.parametrize("stack_name", STACKS)
def test_variables_default_to_the_stacks_own_service_and_stack(stack_name: str) -> None:
    serving = stack(stack_name).settings.serving
    expected = {"namespace": serving.namespace, "application": serving.application}
    for uid in UIDS:
        current = {name: v["current"]["value"] for name, v in variables(dashboard(stack_name, uid)).items()}
        scoring = {name: current[name] for name in expected if name in current}
        assert scoring in ({}, expected), uid
    drift = variables(dashboard(stack_name, uids.DRIFT))
    assert drift["stack"]["current"]["value"] == stack_name


@pytest.mark.parametrize("stack_name", STACKS)
def test_render_writes_exactly_the_three_dashboards_as_sorted_pretty_json(stack_name: str) -> None:
    files = rendered(stack_name)
    assert sorted(p for p in files if p.startswith("dashboards/")) == sorted(dashboard_path(u) for u in UIDS)
    for uid in UIDS:
        text = files[dashboard_path(uid)]
        assert text == to_json(json.loads(text)), "sorted keys, indent 2, trailing newline"


@pytest.mark.parametrize("stack_name", STACKS)
def test_dashboards_are_reproducible(stack_name: str) -> None:
    first, second = dashboards(stack(stack_name)), dashboards(stack(stack_name))
    assert to_json(first) == to_json(second)
    assert render_stack(stack(stack_name)) == rendered(stack_name)

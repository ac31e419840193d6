"""Every dashboard query is parsed as the dashboards are built: a malformed one stops `vigie render` with one
line naming the dashboard and the panel or variable that holds it."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from conventions import contract as c
from conventions import dashboard_uids as uids
from conventions import promql as p
from dashboards_src import variables as v
from dashboards_src.queries import operations
from dashboards_src.queries.check import check_queries
from tests.conftest import CliRunner
from tests.dashboards_src.grafana_json import dashboard, panels_titled, query_variables


def _rate_of_an_instant_vector() -> str:
    """A plausible slip: rate() over a selector instead of a range vector."""
    return p.Call("rate", (v.SCOPE.scoring(c.HTTP_REQUESTS.name),)).render()


def _operations() -> dict[str, Any]:
    return copy.deepcopy(dashboard("prod", uids.OPERATIONS))


def test_the_built_dashboards_pass_the_check() -> None:
    for uid in (uids.OPERATIONS, uids.MODEL_BUSINESS, uids.DRIFT):
        check_queries(dashboard("prod", uid))


def test_a_malformed_panel_query_is_refused_by_dashboard_and_panel() -> None:
    board = _operations()
    panels_titled(board, "Request rate")[0]["targets"][0]["expr"] = _rate_of_an_instant_vector()
    with pytest.raises(
        p.PromQLError, match=r"^dashboard vigie-operations, panel 'Request rate': invalid PromQL"
    ):
        check_queries(board)


def test_a_query_naming_no_variable_of_the_dashboard_is_refused() -> None:
    board = _operations()
    panels_titled(board, "Request rate")[0]["targets"][0]["expr"] = 'up{stack="$stack"}'
    with pytest.raises(p.PromQLError, match=r"'Request rate': \$stack is not a variable of the dashboard$"):
        check_queries(board)


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("label_values(up{namespace=}, namespace)", "invalid PromQL"),
        ("query_result(up)", "not a label_values(series, label) query"),
    ],
)
def test_a_malformed_variable_query_is_refused_by_variable(query: str, reason: str) -> None:
    board = _operations()
    query_variables(board)[0]["query"] = query
    with pytest.raises(
        p.PromQLError, match=r"^dashboard vigie-operations, variable \$namespace: " + re.escape(reason)
    ):
        check_queries(board)


def test_a_malformed_panel_query_stops_render_with_one_line_naming_it(
    project: Path, vigie: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(operations, "request_rate", _rate_of_an_instant_vector)
    code, out, err = vigie("--project-dir", project, "render", "--all", "--check")
    assert (code, out) == (2, "")
    assert err.startswith(
        "error: dashboard vigie-operations, panel 'Request rate': invalid PromQL (expected type"
    )
    assert err.count("\n") == 1

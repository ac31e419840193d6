"""Every dashboard query is PromQL that promtool accepts and names only series that exist: the metric
contract's, the stack's recording rules, or a documented Prometheus built-in."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conventions import contract as c
from dashboards_src.variables import GRAFANA_GLOBALS, substitute
from rules_src.rule_groups import rule_groups
from tests.dashboards_src.grafana_json import (
    STACK_DASHBOARDS,
    STACKS,
    UIDS,
    dashboard,
    label_values_query,
    query_variables,
    stack,
    targets,
)
from tests.dashboards_src.promql_ast import label_matchers, metric_names, vector_selectors

PROMETHEUS_BUILTINS = {
    "ALERTS": "Prometheus's own series of pending and firing alerts (the operations dashboard's alert panels)",
}
"""Series Prometheus creates itself, which no exporter and no recording rule of Vigie declares."""
PICKED_SERVICE = {'namespace="$namespace"'}
PICKED_DRIFT_JOB = {'job="vigie-drift"', 'stack="$stack"'}


def contract_series() -> set[str]:
    """Every series name the contract's metrics are stored under (histograms as _bucket, _sum, _count)."""
    names = set()
    for metric in c.EXPORTED:
        kind = metric.kind
        names |= {metric.bucket, metric.sum, metric.count} if kind is c.Kind.HISTOGRAM else {metric.name}
    return names


def recorded_series(stack_name: str) -> set[str]:
    """The record names of the stack's generated rule groups."""
    return {
        rule["record"]
        for group in rule_groups(stack(stack_name).alerts)
        for rule in group["rules"]
        if "record" in rule
    }


def _record_name(*parts: object) -> str:
    return "dashboard:" + "_".join(re.sub(r"\W", "_", str(part)) for part in parts)


def queries_as_rules(stack_name: str) -> list[dict[str, str]]:
    """Every panel query and variable selector of the stack's dashboards, substituted, as recording rules."""
    rules = []
    for uid in UIDS:
        board = dashboard(stack_name, uid)
        for panel, target in targets(board):
            expr = substitute(target["expr"], board)
            rules.append({"record": _record_name(uid, "panel", panel["id"], target["refId"]), "expr": expr})
        for variable in query_variables(board):
            selector, _ = label_values_query(variable["query"])
            rules.append(
                {
                    "record": _record_name(uid, "variable", variable["name"]),
                    "expr": substitute(selector, board),
                }
            )
    return rules


@pytest.mark.parametrize("stack_name", STACKS)
def test_promtool_accepts_every_query_of_the_stacks_dashboards(stack_name: str, tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    assert promtool is not None, "promtool not on PATH: install Debian's prometheus package"
    rules = queries_as_rules(stack_name)
    path = tmp_path / "dashboard-queries.yaml"
    path.write_text(
        yaml.safe_dump({"groups": [{"name": "dashboard-queries", "rules": rules}]}), encoding="utf-8"
    )
    done = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(rules)} rules found" in done.stdout


def test_promtool_check_catches_an_invalid_query(tmp_path: Path) -> None:
    """The check above can fail: a broken expression is reported."""
    promtool = shutil.which("promtool")
    assert promtool is not None
    path = tmp_path / "broken.yaml"
    broken = {"record": "dashboard:broken", "expr": "sum by (le (rate(x[1m]))"}
    path.write_text(yaml.safe_dump({"groups": [{"name": "broken", "rules": [broken]}]}), encoding="utf-8")
    done = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0


@pytest.mark.parametrize(("stack_name", "uid"), STACK_DASHBOARDS)
def test_every_query_names_only_contract_metrics_recording_rules_or_builtins(
    stack_name: str, uid: str
) -> None:
    board = dashboard(stack_name, uid)
    known = contract_series() | recorded_series(stack_name) | set(PROMETHEUS_BUILTINS)
    exprs = [(panel["title"], substitute(target["expr"], board)) for panel, target in targets(board)]
    exprs += [
        (f"${v['name']}", substitute(label_values_query(v["query"])[0], board))
        for v in query_variables(board)
    ]
    unknown = {(where, name) for where, expr in exprs for name in metric_names(expr) - known}
    assert not unknown, f"queries name series that do not exist: {sorted(unknown)}"
    assert all(metric_names(expr) for _, expr in exprs), "every query reads at least one series"


@pytest.mark.parametrize(("stack_name", "uid"), STACK_DASHBOARDS)
def test_variable_queries_ask_for_a_label_the_metric_carries(stack_name: str, uid: str) -> None:
    """A `label_values` variable lists values of a label its metric has (scrape adds `namespace`)."""
    by_name = {metric.name: metric for metric in c.EXPORTED}
    board = dashboard(stack_name, uid)
    for variable in query_variables(board):
        selector, label = label_values_query(variable["query"])
        (name,) = metric_names(substitute(selector, board))
        assert label in (*by_name[name].labels, c.NAMESPACE), variable["name"]


@pytest.mark.parametrize(("stack_name", "uid"), STACK_DASHBOARDS)
def test_queries_use_only_variables_the_dashboard_defines(stack_name: str, uid: str) -> None:
    board = dashboard(stack_name, uid)
    for panel, target in targets(board):
        expr = substitute(target["expr"], board)
        assert "$" not in expr, (panel["title"], expr)


def _with_grafana_globals(expr: str) -> str:
    """The query with Grafana's own variables set and the dashboard's left as written ($namespace)."""
    return re.sub(r"\$(__\w+)", lambda m: GRAFANA_GLOBALS[m.group(1)], expr)


@pytest.mark.parametrize(("stack_name", "uid"), STACK_DASHBOARDS)
def test_every_series_a_panel_reads_is_narrowed_to_what_the_reader_picked(stack_name: str, uid: str) -> None:
    """The shared scope reaches every selector: the picked namespace (and application, where the series has
    one), or the picked stack's drift job; Prometheus's own ALERTS are narrowed by alert name instead."""
    board = dashboard(stack_name, uid)
    for panel, target in targets(board):
        for selector in vector_selectors(_with_grafana_globals(target["expr"])):
            if selector.name in PROMETHEUS_BUILTINS:
                continue
            matchers = label_matchers(selector)
            assert matchers.issuperset(PICKED_SERVICE) or matchers.issuperset(PICKED_DRIFT_JOB), (
                panel["title"],
                str(selector),
            )

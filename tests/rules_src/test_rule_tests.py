"""The generated promtool tests: they mean the same on Prometheus 2, which runs them here, and Prometheus 3,
which the chart deploys and which leaves out a sample sitting exactly on a range's left edge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import promql_parser
import pytest

from conventions.durations import duration_seconds
from rules_src.rule_groups import rule_groups
from rules_src.rule_tests import LONG_AFTER, QUIET_MARGIN, rule_tests
from rules_src.stack import load_stack
from tests.conftest import PROJECT_DIR, STACKS

MS = 1000


@dataclass(frozen=True)
class Range:
    """A range selector of a rule: the metric it reads, its range and its offset, in milliseconds."""

    metric: str
    range_ms: int
    offset_ms: int


def _ranges(expr: str) -> list[Range]:
    found: list[Range] = []

    def visit(node: promql_parser.Expr) -> None:
        if isinstance(node, promql_parser.MatrixSelector):
            selector = node.vector_selector
            offset = selector.offset.total_seconds() if selector.offset else 0.0
            found.append(Range(selector.name, round(node.range.total_seconds() * MS), round(offset * MS)))

    promql_parser.walk(promql_parser.parse(expr), visit)
    return found


def _sample_indexes(values: str) -> list[int]:
    """Indexes of the present samples of a promtool value expansion ('_ 0+5x3', '_x2 1x4')."""
    present, index = [], 0
    for token in values.split():
        count, _, repeat = token.partition("x")
        n = int(repeat) if repeat else 0
        if count == "_":
            index += max(n, 1)
            continue
        steps = n + 1 if repeat else 1
        present.extend(range(index, index + steps))
        index += steps
    return present


def _left_edge_hits(test: dict[str, Any], ranges: list[Range], evaluation_ms: int) -> list[str]:
    """Each (series, evaluation, range) where a sample sits on the range's left edge."""
    interval = round(duration_seconds(test["interval"]) * MS)
    horizon = max(round(duration_seconds(c["eval_time"]) * MS) for c in test["alert_rule_test"])
    hits = []
    for series in test["input_series"]:
        metric = series["series"].split("{", 1)[0]
        times = {i * interval for i in _sample_indexes(series["values"])}
        for r in (r for r in ranges if r.metric == metric):
            for at in range(0, horizon + 1, evaluation_ms):
                if at - r.offset_ms - r.range_ms in times:
                    hits.append(f"{series['series']} at {at / MS:g}s, [{r.range_ms / MS:g}s]")
    return hits


def _rule_exprs(name: str) -> tuple[list[str], set[str], tuple[dict[str, Any], dict[str, Any]]]:
    alerts = load_stack(PROJECT_DIR, name).alerts
    groups = rule_groups(alerts)
    rules = [rule for group in groups for rule in group["rules"]]
    recorded = {rule["record"] for rule in rules if "record" in rule}
    return [rule["expr"] for rule in rules], recorded, rule_tests(alerts, "rules.yaml")


@pytest.mark.parametrize("name", STACKS)
def test_no_generated_sample_sits_on_a_range_left_edge(name: str) -> None:
    exprs, _, files = _rule_exprs(name)
    ranges = [r for expr in exprs for r in _ranges(expr)]
    hits = []
    for tests in files:
        evaluation_ms = round(duration_seconds(tests["evaluation_interval"]) * MS)
        hits += [
            f"{t['name']}: {hit}" for t in tests["tests"] for hit in _left_edge_hits(t, ranges, evaluation_ms)
        ]
    assert not hits, "\n".join(hits[:10])


@pytest.mark.parametrize("name", STACKS)
def test_only_alerts_that_take_hours_to_fire_are_tested_at_the_long_cadence(name: str) -> None:
    _, _, (short, long) = _rule_exprs(name)
    last_checks = [duration_seconds(c["eval_time"]) for t in short["tests"] for c in t["alert_rule_test"]]
    assert max(last_checks) <= LONG_AFTER + QUIET_MARGIN
    firing_checks = [t["alert_rule_test"][-1] for t in long["tests"] if " fires " in t["name"]]
    assert firing_checks and all(duration_seconds(c["eval_time"]) > LONG_AFTER for c in firing_checks)


@pytest.mark.parametrize("name", STACKS)
def test_no_rule_takes_a_range_of_a_recorded_series(name: str) -> None:
    """Recorded samples sit on the evaluation grid, so a range over one always has a sample on its edge."""
    exprs, recorded, _ = _rule_exprs(name)
    assert not [r for expr in exprs for r in _ranges(expr) if r.metric in recorded]


@pytest.mark.parametrize(
    ("values", "indexes"),
    [("_ 0+5x3", [1, 2, 3, 4]), ("_x2 1x1", [2, 3]), ("7 _ 8", [0, 2]), ("0+60x2 _", [0, 1, 2])],
)
def test_promtool_value_expansions_place_samples_where_promtool_does(values: str, indexes: list[int]) -> None:
    assert _sample_indexes(values) == indexes


def test_the_left_edge_check_catches_a_sample_on_the_edge() -> None:
    test = {
        "interval": "15s",
        "input_series": [{"series": "x", "values": "0+1x10"}],
        "alert_rule_test": [{"eval_time": "2m"}],
    }
    assert _left_edge_hits(test, [Range("x", 60 * MS, 0)], 60 * MS) == ["x at 60s, [60s]", "x at 120s, [60s]"]

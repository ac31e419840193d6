"""What a PromQL expression reads, found in promql_parser's syntax tree rather than in its text, so that
functions, aggregations, keywords, label names, durations, numbers and strings are never mistaken for
metrics."""

from __future__ import annotations

import promql_parser

METRIC_NAME_LABEL = "__name__"


def vector_selectors(expr: str) -> list[promql_parser.VectorSelector]:
    """Every series selector of `expr`, range vectors' and subqueries' included; ValueError when `expr` is
    not PromQL."""
    found: list[promql_parser.VectorSelector] = []

    def visit(node: promql_parser.Expr) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            found.append(node)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return found


def metric_names(expr: str) -> set[str]:
    """Every metric name `expr` reads. A `{__name__="x"}` matcher names `x`; with a regex or negative operator
    its pattern is returned as is, so that a check against known names fails loudly rather than guessing."""
    names: set[str] = set()
    for selector in vector_selectors(expr):
        if selector.name:
            names.add(selector.name)
        names |= {m.value for m in selector.matchers.matchers if m.name == METRIC_NAME_LABEL}
    return names


def label_matchers(selector: promql_parser.VectorSelector) -> set[str]:
    """A selector's matchers as PromQL writes them, `label="value"`, other than the metric name's."""
    return {str(m) for m in selector.matchers.matchers if m.name != METRIC_NAME_LABEL}

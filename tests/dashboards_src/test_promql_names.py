"""The syntax-tree readers the dashboard checks rely on, on tricky expressions."""

from __future__ import annotations

import re

import pytest

from tests.dashboards_src.promql_ast import label_matchers, metric_names, vector_selectors

CASES = [
    ("plain name", "up", {"up"}),
    (
        "recording rule name with colons",
        "application:http_requests:rate1m",
        {"application:http_requests:rate1m"},
    ),
    ("label names and values inside braces", 'foo{namespace="sum",route=~"rate|by"}', {"foo"}),
    ("braces with a closing brace inside a string", 'foo{path="}bar{"} + baz', {"foo", "baz"}),
    (
        "aggregation with a leading by clause",
        'sum by (namespace, le) (rate(latency_bucket{a="b"}[5m]))',
        {"latency_bucket"},
    ),
    (
        "aggregation with a trailing by clause",
        "histogram_quantile(0.95, sum(rate(x_bucket[1m])) by (le))",
        {"x_bucket"},
    ),
    ("without clause", "sum without (instance, job) (up)", {"up"}),
    ("vector matching on and group_left", "a / on (job) group_left (instance, pod) b", {"a", "b"}),
    ("ignoring and group_right without labels", "a * ignoring (x) group_right b", {"a", "b"}),
    ("set operators and bool", "x > bool 0.5 unless y and z or w", {"x", "y", "z", "w"}),
    ("offset and @ modifiers", "foo offset 1h30m - bar @ 1609746000 - baz @ start()", {"foo", "bar", "baz"}),
    ("subquery with a step", "max_over_time(deriv(rate(x[1m])[5m:1m])[1h:])", {"x"}),
    (
        "functions without arguments",
        "time() - last_success_timestamp_seconds",
        {"last_success_timestamp_seconds"},
    ),
    ("numbers in every notation", "1e3 * 0x1F + Inf - NaN + .5 + -inf", set()),
    ("vector() fallback", 'count(ALERTS{alertstate="firing"}) or vector(0)', {"ALERTS"}),
    ("strings are not names", 'label_replace(up, "dst", "$1 sum(fake_metric)", "src", "(.*)")', {"up"}),
    ("single-quoted and raw strings", "label_join(up, 'dst', `,`, 'a', 'b')", {"up"}),
    ("__name__ matcher names the metric", '{__name__="up", job="x"}', {"up"}),
    ("__name__ regex is returned as is", '{__name__=~"up|down"}', {"up|down"}),
    ("comments are ignored", "# sum(fake)\nreal_metric # trailing", {"real_metric"}),
    ("comparison against a metric", 'count by (model_version) (info{a="b"} == 1)', {"info"}),
    ("multi-line expression", 'sum by (d) (a{x="1"})\n/\nsum by (d) (b{x="1"})', {"a", "b"}),
    ("topk and quantile parameters", 'topk(3, a) + quantile(0.9, b) + count_values("v", c)', {"a", "b", "c"}),
]


@pytest.mark.parametrize(("expr", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_metric_names_finds_exactly_the_series_an_expression_reads(expr: str, expected: set[str]) -> None:
    assert metric_names(expr) == expected


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ('up{job="x"', "unexpected end of input inside braces"),
        ("rate(up[5m)", "unexpected character inside brackets"),
        ("up ; down", "unexpected character: ';'"),
    ],
)
def test_metric_names_rejects_what_is_not_promql(expr: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        metric_names(expr)


def test_label_matchers_are_read_per_selector_without_the_metric_name() -> None:
    expr = 'a{namespace="$namespace",status_code=~"5.."} / on (job) {__name__="b",job!="x"}'
    assert [label_matchers(s) for s in vector_selectors(expr)] == [
        {'namespace="$namespace"', 'status_code=~"5.."'},
        {'job!="x"'},
    ]

"""The typed PromQL helpers: each renders exactly the text rules and dashboards are committed with,
parentheses follow precedence, and a malformed expression is refused with the name of what holds it."""

from __future__ import annotations

import re

import promql_parser
import pytest

from conventions import contract as c
from conventions import promql as p
from conventions.errors import UserError

STACK = p.Scope("scoring", "credit", "prod", "v2")
GRAFANA = p.Scope.grafana("namespace", "application", "stack")

# fmt: off
CASES: list[tuple[str, p.Expr, str]] = [
    ("bare name", p.select(c.ERROR_RATE_5XX.name), "error_rate_5xx"),
    ("matchers in the order given", p.select("x", p.equals("b", "1"), p.equals("a", "2")), 'x{b="1",a="2"}'),
    ("every match operator",
     p.select("x", p.differs("a", "1"), p.matches("b", "5.."), p.Matcher("c", "4..", "!~")),
     'x{a!="1",b=~"5..",c!~"4.."}'),
    ("quotes and backslashes escaped", p.select("x", p.equals("a", 'say "\\d"')), r'x{a="say \"\\d\""}'),
    ("one_of matches each value literally", p.select("x", p.one_of("a", ["B.c", "D"])), r'x{a=~"B\\.c|D"}'),
    ("stack scoring", STACK.scoring("x"), 'x{namespace="scoring",application="credit"}'),
    ("scoring narrowed", STACK.scoring("x", p.matches(c.STATUS_CODE, "5..")),
     'x{namespace="scoring",application="credit",status_code=~"5.."}'),
    ("stack cluster", STACK.cluster("cpu"), 'cpu{namespace="scoring"}'),
    ("stack drift", STACK.drift("share"), 'share{job="vigie-drift",stack="prod"}'),
    ("grafana scoring", GRAFANA.scoring("x"), 'x{namespace="$namespace",application="$application"}'),
    ("grafana drift", GRAFANA.drift("x"), 'x{job="vigie-drift",stack="$stack"}'),
    ("rate", p.rate(p.select("x"), "1m"), "rate(x[1m])"),
    ("increase", p.increase(p.select("x"), "1h"), "increase(x[1h])"),
    ("sum by", p.sum(p.select("x"), by=p.SERVICE), "sum by (namespace, application) (x)"),
    ("sum over everything", p.sum(p.select("x")), "sum(x)"),
    ("max, min, avg, count", p.add(p.add(p.max(p.select("a")), p.min(p.select("b"))),
                                   p.add(p.avg(p.select("c"), by=("le",)), p.count(p.select("d")))),
     "max(a) + min(b) + (avg by (le) (c) + count(d))"),
    ("histogram_quantile", p.div(p.histogram_quantile(0.95, p.select("b")), 1000),
     "histogram_quantile(0.95, b) / 1000"),
    ("time and a comparison", p.gt(p.sub(p.time(), p.select("t")), 691200.0), "time() - t > 691200"),
    ("equality with a number", p.eq(p.select("up"), 0), "up == 0"),
    ("vector fallback", p.or_(p.count(p.select("a")), p.vector(0)), "count(a) or vector(0)"),
    ("numbers without float noise", p.gt(p.select("cpu"), 0.85 * 100), "cpu > 85"),
    ("a multiplication", p.mul(p.select("a"), 0), "a * 0"),
    ("a remainder, as tight as a product", p.lt(p.Call("vector", (p.mod(p.time(), 48),)), 8),
     "vector(time() % 48) < 8"),
    ("looser operand parenthesised", p.mul(p.add(p.select("a"), 1), 2), "(a + 1) * 2"),
    ("tighter operand left bare", p.add(p.mul(p.select("a"), 2), 1), "a * 2 + 1"),
    ("left-associative: same level on the left is bare", p.sub(p.sub(p.select("a"), 1), 2), "a - 1 - 2"),
    ("left-associative: same level on the right is grouped", p.sub(p.select("a"), p.sub(p.select("b"), 1)),
     "a - (b - 1)"),
    ("multiline", p.div(p.select("a"), p.select("b"), multiline=True), "a\n/\nb"),
    ("multiline group indented", p.div(p.select("r"), p.add(p.select("r"), p.select("a"), multiline=True),
                                       multiline=True), "r\n/\n(\n  r\n  +\n  a\n)"),
    ("share with a zero fallback",
     p.div(p.or_(p.select("m"), p.mul(p.select("t"), 0), multiline=True), p.select("t"), multiline=True),
     "(\n  m\n  or\n  t * 0\n)\n/\nt"),
]
# fmt: on


@pytest.mark.parametrize(("expr", "text"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_each_helper_renders_its_exact_text(expr: p.Expr, text: str) -> None:
    assert expr.render() == str(expr) == text


@pytest.mark.parametrize(("expr", "text"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_every_rendering_is_promql(expr: p.Expr, text: str) -> None:
    assert p.checked(expr.render(), "case") == text


@pytest.mark.parametrize(
    ("value", "text"), [(85.00000000000001, "85"), (0.05, "0.05"), (691200.0, "691200"), (-0.3, "-0.3")]
)
def test_numbers_render_without_float_noise(value: float, text: str) -> None:
    assert p.promql_number(value) == text


def test_the_scope_gives_scenarios_the_labels_its_selectors_match() -> None:
    assert STACK.scoring_labels == {"namespace": "scoring", "application": "credit"}
    assert STACK.drift_labels == {"job": "vigie-drift", "stack": "prod"}


def test_a_tree_renders_what_it_means() -> None:
    """The parsed text has the tree's shape: the grouped sum is the division's denominator."""
    text = p.div(p.select("r"), p.add(p.select("r"), p.select("a"), multiline=True), multiline=True).render()
    tree = promql_parser.parse(text)
    assert isinstance(tree, promql_parser.BinaryExpr) and isinstance(tree.rhs, promql_parser.ParenExpr)


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        (p.Call("rate", (p.select("x"),)), "expected type matrix in call to function 'rate', got vector"),
        (p.rate(p.select("x"), "one minute"), "unexpected character inside brackets"),
        (p.select("x", p.equals("bad-label", "v")), "unexpected character inside braces"),
    ],
)
def test_a_malformed_expression_is_refused_with_its_name(expr: p.Expr, reason: str) -> None:
    with pytest.raises(
        p.PromQLError, match=r"^alert Broken: invalid PromQL \(" + re.escape(reason)
    ) as raised:
        p.checked(expr.render(), "alert Broken")
    assert isinstance(raised.value, UserError) and "\n" not in str(raised.value)


def test_a_multiline_expression_is_reported_on_one_line() -> None:
    text = "sum(\n  x\n"
    with pytest.raises(p.PromQLError) as raised:
        p.checked(text, "recording rule r")
    assert str(raised.value) == "recording rule r: invalid PromQL (unclosed left parenthesis): sum( x"

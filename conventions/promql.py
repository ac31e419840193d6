"""PromQL as typed values: rules and dashboards build expressions from these helpers, never from strings.

Each node is a frozen dataclass whose `render()` (and `str()`) is the PromQL text. Precedence is the renderer's
job: an operand binding more loosely than its parent is parenthesised, so a tree cannot render to text that
means something else. The one layout choice left to callers is `multiline`, putting a binary operator on its
own line between its operands, as the recording rules are written for reviewers. `checked` parses rendered
text with a real PromQL parser, so a malformed expression stops rendering, naming its rule or panel.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Literal

import promql_parser

from conventions import contract as c
from conventions.errors import UserError

SERVICE = (c.NAMESPACE, c.APPLICATION)
"""The labels naming one scoring service: recordings aggregate by them, so alerts can name the service."""


def promql_number(value: float) -> str:
    """A number as PromQL reads it, without float noise: 85, 0.05, 691200."""
    return format(round(value, 9), ".15g")


class Expr(ABC):
    """A PromQL expression."""

    @abstractmethod
    def render(self) -> str: ...

    def __str__(self) -> str:
        return self.render()


@dataclass(frozen=True)
class Number(Expr):
    value: float

    def render(self) -> str:
        return promql_number(self.value)


MatchOp = Literal["=", "!=", "=~", "!~"]


@dataclass(frozen=True)
class Matcher:
    """One label matcher; the value is quoted and escaped as a PromQL string."""

    label: str
    value: str
    op: MatchOp

    def render(self) -> str:
        quoted = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.label}{self.op}"{quoted}"'


equals = partial(Matcher, op="=")
differs = partial(Matcher, op="!=")
matches = partial(Matcher, op="=~")


def one_of(label: str, values: Iterable[str]) -> Matcher:
    """A regex matcher for any of `values`, each matched literally."""
    return matches(label, "|".join(re.escape(value) for value in values))


@dataclass(frozen=True)
class Selector(Expr):
    """`name{matchers}`, the matchers in the order given; the bare name when there are none."""

    name: str
    matchers: tuple[Matcher, ...] = ()

    def render(self) -> str:
        if not self.matchers:
            return self.name
        return f"{self.name}{{{','.join(m.render() for m in self.matchers)}}}"


def select(name: str, *matchers: Matcher) -> Selector:
    return Selector(name, matchers)


@dataclass(frozen=True)
class Range(Expr):
    """A range vector: the selector's samples over `window` (a duration or a Grafana variable)."""

    selector: Selector
    window: str
    offset: str = ""
    """How far back the window ends (`offset 1w`); empty for now."""

    def render(self) -> str:
        shifted = f" offset {self.offset}" if self.offset else ""
        return f"{self.selector.render()}[{self.window}]{shifted}"


@dataclass(frozen=True)
class Call(Expr):
    function: str
    args: tuple[Expr, ...] = ()

    def render(self) -> str:
        return f"{self.function}({', '.join(arg.render() for arg in self.args)})"


def rate(selector: Selector, window: str, offset: str = "") -> Call:
    return Call("rate", (Range(selector, window, offset),))


def increase(selector: Selector, window: str, offset: str = "") -> Call:
    return Call("increase", (Range(selector, window, offset),))


def histogram_quantile(quantile: float, buckets: Expr) -> Call:
    return Call("histogram_quantile", (Number(quantile), buckets))


def absent(selector: Selector) -> Call:
    """One series, labelled with the selector's equality matchers, while the selector matches nothing."""
    return Call("absent", (selector,))


def time() -> Call:
    return Call("time")


def vector(value: float) -> Call:
    return Call("vector", (Number(value),))


AggregateOp = Literal["sum", "max", "min", "avg", "count"]


@dataclass(frozen=True)
class Aggregate(Expr):
    """`op by (labels) (expr)`, or `op(expr)` over every series when `by` is empty."""

    op: AggregateOp
    expr: Expr
    by: tuple[str, ...] = ()

    def render(self) -> str:
        if not self.by:
            return f"{self.op}({self.expr.render()})"
        return f"{self.op} by ({', '.join(self.by)}) ({self.expr.render()})"


# PromQL's names, used qualified (`p.sum(expr, by=...)`); they shadow Python's builtins only in this module.
sum = partial(Aggregate, "sum")
max = partial(Aggregate, "max")
min = partial(Aggregate, "min")
avg = partial(Aggregate, "avg")
count = partial(Aggregate, "count")

BinaryOp = Literal["*", "/", "%", "+", "-", "==", "!=", "<", ">", ">=", "and", "or"]
_PRECEDENCE: dict[BinaryOp, int] = {
    "*": 5,
    "/": 5,
    "%": 5,
    "+": 4,
    "-": 4,
    "==": 3,
    "!=": 3,
    "<": 3,
    ">": 3,
    ">=": 3,
    "and": 2,
    "or": 1,
}
"""PromQL's binding strength: `* / %` over `+ -` over comparisons over `and` over `or`; all left-associative."""


@dataclass(frozen=True)
class Binary(Expr):
    """`lhs op rhs`; with `multiline`, the operator stands on its own line between its operands."""

    op: BinaryOp
    lhs: Expr
    rhs: Expr
    multiline: bool = False

    def render(self) -> str:
        lhs, rhs = self._operand(self.lhs, right=False), self._operand(self.rhs, right=True)
        separator = "\n" if self.multiline else " "
        return f"{lhs}{separator}{self.op}{separator}{rhs}"

    def _operand(self, operand: Expr, *, right: bool) -> str:
        """The operand's text, parenthesised where it binds more loosely than this operator (or as loosely,
        on the right, since every operator here is left-associative)."""
        text = operand.render()
        if not isinstance(operand, Binary):
            return text
        inner, outer = _PRECEDENCE[operand.op], _PRECEDENCE[self.op]
        if inner < outer or (right and inner == outer):
            return _parenthesised(text)
        return text


def _parenthesised(text: str) -> str:
    """`(text)`, or for a multi-line text the parentheses on their own lines around it, indented."""
    if "\n" not in text:
        return f"({text})"
    indented = "\n".join(f"  {line}" for line in text.splitlines())
    return f"(\n{indented}\n)"


def binary(op: BinaryOp, lhs: Expr | float, rhs: Expr | float, *, multiline: bool = False) -> Binary:
    """`lhs op rhs`, where a bare number stands for a number literal."""
    lhs, rhs = (x if isinstance(x, Expr) else Number(x) for x in (lhs, rhs))
    return Binary(op, lhs, rhs, multiline)


div = partial(binary, "/")
mul = partial(binary, "*")
mod = partial(binary, "%")
add = partial(binary, "+")
sub = partial(binary, "-")
eq = partial(binary, "==")
ne = partial(binary, "!=")
lt = partial(binary, "<")
gt = partial(binary, ">")
"""`lhs > rhs`: against a number, the series of `lhs` above it (a filter, as alert expressions use it)."""
ge = partial(binary, ">=")
and_ = partial(binary, "and")
"""`lhs and rhs`: the series of `lhs` whose labels `rhs` also has (a guard on another series)."""
or_ = partial(binary, "or")
"""`lhs or rhs`: the series of `lhs`, and those of `rhs` whose labels `lhs` lacks."""


@dataclass(frozen=True)
class Scope:
    """Whose series an expression reads. Rules hold one stack's label values; dashboards hold references to
    Grafana variables (see `grafana`), so one dashboard reads whichever service or stack the reader picks."""

    namespace: str
    application: str
    stack: str
    model_version: str = ""
    """The model version the stack declares, which ModelVersionUnexpected compares against; empty for
    dashboards, which show every version."""
    min_request_rate: float = 0.0
    """Requests per second below which the error-ratio alerts stay silent: at night, 1 failure in 10
    requests is a 10 % error rate that nobody should be paged for."""
    min_replicas: int = 1
    """Healthy replicas the service keeps at least (serving.autoscaling.minReplicas): fewer pages."""
    log_lag: str = ""
    """How long a scored application may wait before the prediction log writes it
    (serving.predictionLog.flushInterval); empty for dashboards."""

    @classmethod
    def grafana(cls, namespace: str, application: str, stack: str) -> Scope:
        """The scope of a dashboard: each label value is the Grafana variable of the given name."""
        return cls(f"${namespace}", f"${application}", f"${stack}")

    def scoring(self, metric: str, *matchers: Matcher) -> Selector:
        """`metric` of the scoring service (namespace and application), narrowed by `matchers`."""
        return Selector(metric, (*_equal(self.scoring_labels), *matchers))

    def cluster(self, metric: str) -> Selector:
        """`metric` of the service's Ray cluster: node metrics carry a namespace but no application."""
        return Selector(metric, (equals(c.NAMESPACE, self.namespace),))

    def drift(self, metric: str, *matchers: Matcher) -> Selector:
        """`metric` of the stack's drift job, as the Pushgateway groups it (job and stack), narrowed by
        `matchers`."""
        return Selector(metric, (*_equal(self.drift_labels), *matchers))

    @property
    def scoring_labels(self) -> dict[str, str]:
        return {c.NAMESPACE: self.namespace, c.APPLICATION: self.application}

    @property
    def drift_labels(self) -> dict[str, str]:
        return {c.JOB: c.DRIFT_PUSH_JOB, c.STACK: self.stack}


def _equal(labels: dict[str, str]) -> tuple[Matcher, ...]:
    return tuple(equals(label, value) for label, value in labels.items())


class PromQLError(UserError):
    """A rendered expression Prometheus would reject; names the rule or panel holding it."""


def checked(text: str, what: str) -> str:
    """`text` unchanged once a PromQL parser accepts it; PromQLError naming `what` otherwise."""
    try:
        promql_parser.parse(text)
    except ValueError as error:
        message = " ".join(str(error).split())
        raise PromQLError(f"{what}: invalid PromQL ({message}): {' '.join(text.split())}") from None
    return text

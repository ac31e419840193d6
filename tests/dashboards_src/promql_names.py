"""The metric names a PromQL expression reads, found by a small lexer rather than a regular expression over
the whole text, so that functions, aggregations, keywords, label names, durations, numbers and strings are
never mistaken for metrics.

A name is an identifier outside `{...}`, `[...]` and the label lists of `by`, `without`, `on`, `ignoring`,
`group_left` and `group_right`, that is neither a keyword, an aggregation, nor followed by `(` (a function
call). A `{__name__="x"}` matcher names `x`; with a regex or negative operator its pattern is returned as is,
so that a check against known names fails loudly rather than guessing.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r"""
      (?P<space>\s+|\#[^\n]*)
    | (?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`)
    | (?P<number>0[xX][0-9a-fA-F]+
        |(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?:(?:ms|[smhdwy])(?:\d+(?:ms|[smhdwy]))*)?)
    | (?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
    | (?P<op>=~|!~|!=|==|>=|<=|[-+*/%^<>=,(){}\[\]@])
    """,
    re.VERBOSE,
)

AGGREGATIONS = frozenset(
    {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
     "quantile", "limitk", "limit_ratio"}
)  # fmt: skip
LABEL_LISTS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset", "atan2"}) | LABEL_LISTS
NUMBER_WORDS = frozenset({"inf", "nan"})
METRIC_NAME_LABEL = "__name__"


def tokens(expr: str) -> list[tuple[str, str]]:
    """(kind, text) pairs without whitespace and comments; ValueError on a character PromQL does not have."""
    found = []
    position = 0
    while position < len(expr):
        match = _TOKEN.match(expr, position)
        if match is None:
            raise ValueError(f"cannot read PromQL at offset {position}: {expr[position : position + 20]!r}")
        kind = match.lastgroup
        assert kind is not None
        if kind != "space":
            found.append((kind, match.group()))
        position = match.end()
    return found


def _closing(toks: list[tuple[str, str]], start: int, opening: str, closing: str) -> int:
    """The index of the token closing the bracket opened at `start`."""
    depth = 0
    for i in range(start, len(toks)):
        if toks[i] == ("op", opening):
            depth += 1
        elif toks[i] == ("op", closing):
            depth -= 1
            if depth == 0:
                return i
    raise ValueError(f"unbalanced {opening!r} in PromQL")


def _matcher_names(toks: list[tuple[str, str]]) -> set[str]:
    """Names given by `__name__` matchers inside one `{...}`."""
    return {
        value[1:-1]
        for (kind, text), (_, _op), (value_kind, value) in zip(toks, toks[1:], toks[2:], strict=False)
        if kind == "ident" and text == METRIC_NAME_LABEL and value_kind == "string"
    }


def metric_names(expr: str) -> set[str]:
    """Every metric name `expr` reads."""
    toks = tokens(expr)
    names: set[str] = set()
    i = 0
    while i < len(toks):
        kind, text = toks[i]
        following = toks[i + 1] if i + 1 < len(toks) else ("", "")
        if (kind, text) == ("op", "{"):
            end = _closing(toks, i, "{", "}")
            names |= _matcher_names(toks[i + 1 : end])
            i = end
        elif (kind, text) == ("op", "["):
            i = _closing(toks, i, "[", "]")
        elif kind == "ident" and text in LABEL_LISTS and following == ("op", "("):
            i = _closing(toks, i + 1, "(", ")")
        elif kind == "ident" and not (
            text in KEYWORDS
            or text in AGGREGATIONS
            or text.lower() in NUMBER_WORDS
            or following == ("op", "(")
        ):
            names.add(text)
        i += 1
    return names

"""Vigie's house style for Grafana panels: one place for shared defaults, so panel code states only what
differs (title, queries, unit, thresholds), as grafanalib's weave.py does for Weave.

Panels are grafanalib objects without position or id; `layout.place` sets both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from grafanalib.core import Heatmap, Stat, StateTimeline, Table, TableSortByField, TimeSeries

from dashboards_src import variables as v

Json = dict[str, Any]

GREEN = "green"
ORANGE = "orange"
RED = "red"
BLUE = "blue"
GREY = "text"

REF_IDS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class Query:
    """One PromQL expression and the legend of the series it returns."""

    expr: str
    legend: str = ""


def datasource() -> Json:
    """Every panel and query reads from the dashboard's datasource variable, never a fixed datasource."""
    return {"type": v.PROMETHEUS, "uid": f"${{{v.DATASOURCE}}}"}


def legend(*labels: str) -> str:
    """A legend format naming label values: legend('route', 'status_code') -> '{{route}} {{status_code}}'."""
    return " ".join(f"{{{{{label}}}}}" for label in labels)


def value_field(index: int) -> str:
    """The field Grafana names the value of the index-th table query ('Value #A')."""
    return f"Value #{REF_IDS[index]}"


def targets(queries: Sequence[Query], *, instant: bool = False, fmt: str = "time_series") -> list[Json]:
    """Prometheus targets with refIds A, B, … in order."""
    if not queries:
        raise ValueError("a panel needs at least one query")
    return [
        {
            "datasource": datasource(),
            "editorMode": "code",
            "expr": query.expr,
            "format": fmt,
            "instant": instant,
            "legendFormat": query.legend,
            "range": not instant,
            "refId": REF_IDS[i],
        }
        for i, query in enumerate(queries)
    ]


def steps(base: str, lines: Iterable[tuple[float, str]] = ()) -> list[Json]:
    """Threshold steps in ascending order, as Grafana requires: the base colour, then each (value, colour)."""
    return [{"color": base, "value": None}] + [
        {"color": color, "value": value} for value, color in sorted(lines, key=lambda line: line[0])
    ]


def below(value: float) -> list[Json]:
    """Steps for a value that is bad when low (a p-value): red under `value`, green from it."""
    return steps(RED, [(value, GREEN)])


def value_mappings(texts: dict[int, tuple[str, str]]) -> list[Json]:
    """Value mappings from numbers to (text, colour), e.g. {1: ('succeeded', 'green')}."""
    options = {
        str(value): {"color": color, "index": i, "text": text}
        for i, (value, (text, color)) in enumerate(sorted(texts.items()))
    }
    return [{"options": options, "type": "value"}]


def _override(matcher: str, options: str, properties: dict[str, Any]) -> Json:
    """A field override: the fields `matcher` picks get `properties`."""
    return {
        "matcher": {"id": matcher, "options": options},
        "properties": [{"id": key, "value": value} for key, value in sorted(properties.items())],
    }


def by_name(field: str, properties: dict[str, Any]) -> Json:
    """A field override for the field called `field`."""
    return _override("byName", field, properties)


def by_regexp(pattern: str, properties: dict[str, Any]) -> Json:
    """A field override for the fields whose display name matches `pattern`."""
    return _override("byRegexp", pattern, properties)


DASHED = {"custom.lineStyle": {"dash": [10, 10], "fill": "dash"}}
"""Override properties drawing a series dashed: targets and references, as opposed to measurements."""


def timeseries(
    title: str,
    description: str,
    queries: Sequence[Query],
    *,
    unit: str,
    lines: list[Json] | None = None,
    links: Sequence[Json] = (),
    overrides: Sequence[Json] = (),
    max_value: int | None = None,
) -> Any:
    """A time series from zero (every Vigie series is a count, rate, share or duration); `lines` are threshold
    steps drawn as dashed horizontal lines."""
    return TimeSeries(
        title=title,
        description=description,
        dataSource=datasource(),
        targets=targets(queries),
        unit=unit,
        thresholds=lines or steps(GREEN),
        thresholdsStyleMode="dashed" if lines else "off",
        links=list(links),
        overrides=list(overrides),
        valueMin=0,
        valueMax=max_value,
        lineWidth=2,
        fillOpacity=10,
        spanNulls=True,
        legendDisplayMode="list",
        tooltipMode="multi",
        tooltipSort="desc",
        maxDataPoints=None,
    )


def stat(
    title: str,
    description: str,
    queries: Sequence[Query],
    *,
    unit: str,
    colors: list[Json] | None = None,
    mappings: Sequence[Json] = (),
    links: Sequence[Json] = (),
    instant: bool = False,
    text_mode: str = "auto",
    no_value: str = "no data",
    decimals: int | None = None,
) -> Any:
    """A single value, coloured by threshold steps; the last value unless `instant` asks Prometheus for one."""
    return Stat(
        title=title,
        description=description,
        dataSource=datasource(),
        targets=targets(queries, instant=instant),
        format=unit,
        thresholds=colors or steps(BLUE),
        color={"mode": "thresholds"},
        mappings=list(mappings),
        links=list(links),
        reduceCalc="lastNotNull",
        graphMode="none" if instant else "area",
        colorMode="value",
        textMode=text_mode,
        noValue=no_value,
        decimals=decimals,
        maxDataPoints=None,
    )


def table(
    title: str,
    description: str,
    queries: Sequence[Query],
    *,
    transformations: Sequence[Json],
    overrides: Sequence[Json] = (),
    sort_by: str | None = None,
    descending: bool = True,
) -> Any:
    """A table of instant queries, one row per series; transformations merge and name the columns."""
    return Table(
        title=title,
        description=description,
        dataSource=datasource(),
        targets=targets(queries, instant=True, fmt="table"),
        transformations=list(transformations),
        overrides=list(overrides),
        thresholds=steps(GREY),
        filterable=True,
        sortBy=[] if sort_by is None else [TableSortByField(displayName=sort_by, desc=descending)],
        maxDataPoints=None,
    )


def state_timeline(
    title: str, description: str, queries: Sequence[Query], *, overrides: Sequence[Json] = (), color: str
) -> Any:
    """A state timeline: one row per series, one colour per state, merged while the value holds."""
    return StateTimeline(
        title=title,
        description=description,
        dataSource=datasource(),
        targets=targets(queries),
        colorMode="fixed",
        overrides=list(overrides),
        thresholds=steps(color),
        showValue="never",
        extraJson={"fieldConfig": {"defaults": {"color": {"fixedColor": color, "mode": "fixed"}}}},
        maxDataPoints=None,
    )


def heatmap(title: str, description: str, queries: Sequence[Query], *, unit: str) -> Any:
    """A heatmap of pre-bucketed Prometheus histogram data (format 'heatmap', buckets by `le`).

    grafanalib's Heatmap writes the pre-9.0 (Angular) fields; Grafana only migrates from those when `options`
    is empty, so setting the current panel's `options` makes Grafana use them and ignore the old fields.
    """
    return Heatmap(
        title=title,
        description=description,
        dataSource=datasource(),
        targets=targets(queries, fmt="heatmap"),
        thresholds=steps(GREY),
        dataFormat="tsbuckets",
        options={
            "calculate": False,
            "cellGap": 1,
            "color": {
                "exponent": 0.5,
                "fill": "dark-orange",
                "mode": "scheme",
                "reverse": False,
                "scale": "exponential",
                "scheme": "Oranges",
                "steps": 64,
            },
            "filterValues": {"le": 1e-9},
            "legend": {"show": True},
            "rowsFrame": {"layout": "auto"},
            "showValue": "never",
            "tooltip": {"mode": "single", "showColorScale": False, "yHistogram": True},
            "yAxis": {"axisPlacement": "left", "reverse": False, "unit": unit},
        },
        extraJson={"fieldConfig": {"overrides": []}},
        maxDataPoints=None,
    )

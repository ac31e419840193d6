"""What an alert is: its spec (defaults, written beside its family) and its resolved form for one stack.

A spec holds the seed's defaults and builds its typed PromQL expression for a scope and threshold; a stack's
settings may override the threshold, `for` and severity of any alert, or disable it. Builders only ever see
resolved alerts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from conventions import contract as c
from conventions import promql as p
from conventions import routing
from conventions.durations import Duration, format_duration
from conventions.promql import Scope as Scope  # re-exported: a stack builds its scope from here
from conventions.routing import Category, Severity


class Unit(StrEnum):
    """What an alert's threshold is measured in, which decides how settings may override it."""

    RATIO = "ratio"
    SECONDS = "seconds"
    NONE = "none"


class ValueFormat(StrEnum):
    """How `$value` is printed in a description; rule tests render the same value the same way."""

    PERCENT = "humanizePercentage"
    DURATION = "humanizeDuration"
    PERCENT_POINTS = 'printf "%.1f%%"'
    NONE = ""


@dataclass(frozen=True)
class Series:
    """One promtool input series: labels and a promtool value expansion such as '0+60x30'."""

    metric: str
    labels: dict[str, str]
    values: str

    def promtool(self) -> dict[str, str]:
        matchers = (p.equals(label, value) for label, value in sorted(self.labels.items()))
        return {"series": p.select(self.metric, *matchers).render(), "values": self.values}


@dataclass(frozen=True)
class Scenario:
    """Input series that hold the alert's expression at `value`, and the labels the alert then carries."""

    series: tuple[Series, ...]
    value: float
    labels: dict[str, str]
    interval: str = "15s1ms"
    """Off the minute grid of evaluations and ranges, so that no sample sits on a range's left edge, where
    Prometheus 2 and 3 disagree (rules_src.alerts.scenarios)."""
    active_from: float = 15.001
    """Seconds after the first sample at which the expression holds: a rate needs a second sample, a gauge
    holds at once (0)."""
    slope: float = 0.0
    """How fast the value grows per second (time() - timestamp grows by 1)."""


ScenarioBuilder = Callable[[Scope, float | None, bool], Scenario | None]
"""Builds a steady scenario just past (True) or just short of (False) a threshold; None where no such
scenario exists (the Watchdog is never quiet)."""


ExprBuilder = Callable[[Scope, float | None], p.Expr]
"""The expression an alert evaluates for a scope and the stack's threshold (None where it has none)."""

RecordingBuilder = Callable[[Scope], p.Expr]
"""The expression of a recording rule, written in the family file of the alerts that read it."""


def recorded_above(recording: c.Recording) -> ExprBuilder:
    """`recording > threshold`, for a family whose recording rule does the arithmetic."""

    def build(scope: Scope, threshold: float | None) -> p.Expr:
        assert threshold is not None
        return p.gt(p.select(recording.name), threshold)

    return build


@dataclass(frozen=True)
class Prose:
    """A runbook's likely causes and first actions, like AlertSpec's own."""

    causes: tuple[str, ...]
    actions: tuple[str, ...]


@dataclass(frozen=True)
class AlertSpec:
    """An alert as its family file defines it, with the seed's defaults."""

    name: str
    family: str
    service: str
    """'scoring' for the service's alerts, 'drift' for the drift job's; used with family for inhibition."""
    category: Category
    severity: Severity
    unit: Unit
    threshold: float | None
    for_: str
    expr: ExprBuilder
    summary: str
    """Plain text; `{threshold}` and `{for_}` are filled in at render time."""
    description: str
    """Plain text with `{value}` and `{<label>}` slots, turned into a Go template for Alertmanager."""
    value_format: ValueFormat
    dashboard: str
    scenario: ScenarioBuilder
    impact: str
    """What the alert means for credit scoring, the first thing its runbook says. Plain text; like `causes`
    and `actions`, it may name the stack's values as slots (rules_src.runbooks.SLOTS)."""
    causes: tuple[str, ...]
    """Likely causes on this platform, the most likely first."""
    actions: tuple[str, ...]
    """First actions for whoever is notified, in order."""
    low_traffic: ScenarioBuilder | None = None
    """For an alert guarded by the minimum request rate: breaching traffic below that rate, which must stay
    silent (None for the others)."""
    threshold_choices: tuple[float, ...] = ()
    """Where not empty, the only thresholds that make the expression exact (histogram bucket boundaries)."""
    related: tuple[str, ...] = ()
    """Series names (from the contract) that show the alert's causes besides those its expression reads: the
    runbook points at the dashboard panels reading either."""
    on_airflow: Prose | None = None
    """For a drift-job alert, whose `causes` and `actions` speak of the CronJob: those of a stack whose
    drift.scheduler is airflow, where the generated DAG runs the job."""


@dataclass(frozen=True)
class Alert:
    """An alert resolved for one stack: the spec with the stack's overrides applied."""

    spec: AlertSpec
    threshold: float | None
    for_: Duration
    severity: Severity
    enabled: bool = True

    @property
    def name(self) -> str:
        return self.spec.name

    def expr(self, scope: Scope) -> str:
        """The PromQL text, parsed before anything reads it: a malformed expression names this alert."""
        return p.checked(self.spec.expr(scope, self.threshold).render(), f"alert {self.name}")

    def labels(self) -> dict[str, str]:
        spec = self.spec
        return {routing.SEVERITY: self.severity.value, routing.CATEGORY: spec.category.value,
                routing.FAMILY: spec.family, routing.SERVICE: spec.service}  # fmt: skip

    def threshold_text(self) -> str:
        return format_threshold(self.threshold, self.spec.unit)

    def summary(self) -> str:
        return self.spec.summary.format(threshold=self.threshold_text(), for_=self.for_)

    def description_template(self) -> str:
        """The description as Alertmanager's Go template."""
        fmt = self.spec.value_format
        value = f"{{{{ $value | {fmt.value} }}}}" if fmt is not ValueFormat.NONE else "{{ $value }}"
        return self._description(value, _GoLabels())

    def description_for(self, value: float, labels: dict[str, str]) -> str:
        """The description as Prometheus renders it for `value` and `labels` (for generated rule tests)."""
        return self._description(go_format(value, self.spec.value_format), labels)

    def description_with(self, value: str, labels: dict[str, str]) -> str:
        """The description with `value` as given (a slot another program fills) and the labels' values."""
        return self._description(value, labels)

    def _description(self, value: str, labels: _Labels) -> str:
        return self.spec.description.format_map(
            _Slots(value=value, threshold=self.threshold_text(), for_=self.for_, labels=labels)
        )


class _Labels(Protocol):
    def __getitem__(self, key: str, /) -> str: ...


class _GoLabels:
    """Label slots as Go template references, for the rule file."""

    def __getitem__(self, key: str, /) -> str:
        return f"{{{{ $labels.{key} }}}}"


class _Slots(dict[str, object]):
    """format_map slots: known names first, then labels (Go template or rendered value)."""

    def __init__(self, labels: _Labels, **known: object) -> None:
        super().__init__(known)
        self._labels = labels

    def __missing__(self, key: str) -> object:
        return self._labels[key]


def format_threshold(value: float | None, unit: Unit) -> str:
    """A threshold as a reader writes it: 5%, 500ms, 1s."""
    if value is None or unit is Unit.NONE:
        return ""
    if unit is Unit.RATIO:
        return f"{value * 100:g}%"
    return format_duration(value)


def go_format(value: float, fmt: ValueFormat) -> str:
    """What Prometheus's template functions print for `value` (humanizePercentage, humanizeDuration, printf)."""
    if fmt is ValueFormat.PERCENT:
        return f"{value * 100:.4g}%"
    if fmt is ValueFormat.PERCENT_POINTS:
        return f"{value:.1f}%"
    if fmt is ValueFormat.DURATION:
        return _humanize_duration(value)
    return f"{value:g}"


def _humanize_duration(value: float) -> str:
    if value == 0:
        return "0s"
    if abs(value) >= 1:
        whole = int(value)
        days, rest = divmod(whole, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, seconds = divmod(rest, 60)
        if days:
            return f"{days}d {hours}h {minutes}m {seconds}s"
        if hours:
            return f"{hours}h {minutes}m {seconds}s"
        if minutes:
            return f"{minutes}m {seconds}s"
        return f"{value:.4g}s"
    for prefix in ("m", "u", "n"):
        value *= 1000
        if abs(value) >= 1:
            return f"{value:.4g}{prefix}s"
    return f"{value:.4g}ns"

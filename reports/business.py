"""The weekly business report of one stack: the week's figures against the previous week's, when the business
alerts fired, rendered as an HTML body with two charts and a CSV of the daily figures."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path

import jinja2

from conventions.routing import Category
from reports import charts
from reports.errors import ReportError
from reports.figures import Firing, WeekFigures, firings, week_figures
from reports.prometheus import Prometheus
from reports.week import IsoWeek
from rules_src.alert import Alert
from rules_src.alerts.business import REFUSAL_RATE
from rules_src.stack import Stack

TEMPLATES = Path(__file__).with_name("templates")
CSV_COLUMNS = ("week", "day", "accepted", "rejected", "decisions", "refusal_rate", "score_mean")


def business_alerts(stack: Stack) -> tuple[Alert, ...]:
    """The stack's enabled alerts of the business category, from the catalog: those the report tells about."""
    return tuple(a for a in stack.alerts.enabled if a.spec.category is Category.BUSINESS)


@dataclass(frozen=True)
class Chart:
    content_id: str
    title: str
    png: bytes


@dataclass(frozen=True)
class BusinessReport:
    stack: str
    current: WeekFigures
    previous: WeekFigures
    alerts: tuple[Alert, ...]
    firings: tuple[Firing, ...]
    previous_firings: tuple[Firing, ...]
    prometheus: str

    @property
    def subject(self) -> str:
        return (
            f"Vigie weekly business report, {self.stack}, {self.current.week}: refusal rate "
            f"{percent(self.current.refusal_rate)} ({points_change(self.current.refusal_rate, self.previous.refusal_rate)})"
        )

    @cached_property
    def charts(self) -> tuple[Chart, ...]:
        """Drawn once: the HTML names them by content id, the message carries their bytes."""
        refusals = [a for a in self.alerts if a.spec is REFUSAL_RATE]
        threshold = refusals[0].threshold if refusals else None
        return (
            Chart(
                "decisions",
                "Decisions per day",
                charts.decisions_chart(self.current, self.previous, threshold),
            ),
            Chart("scores", "Mean score per day", charts.score_chart(self.current, self.previous)),
        )

    def html(self) -> str:
        environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
        )
        environment.filters.update(percent=percent, count=count, score=score)
        template = environment.get_template("business_report.html.j2")
        return template.render(
            report=self,
            charts=self.charts,
            refusal_change=points_change(self.current.refusal_rate, self.previous.refusal_rate),
            accepted_change=relative_change(self.current.accepted, self.previous.accepted),
            rejected_change=relative_change(self.current.rejected, self.previous.rejected),
            decisions_change=relative_change(self.current.decisions, self.previous.decisions),
            score_change=score_change(self.current.score_mean, self.previous.score_mean),
        )

    def text(self) -> str:
        """The plain-text part, for mail readers that show no HTML."""
        current, previous = self.current, self.previous
        lines = [
            f"Weekly business report: {self.stack}, {current.week} (UTC), against {previous.week}.",
            f"Refusal rate: {percent(current.refusal_rate)} "
            f"({points_change(current.refusal_rate, previous.refusal_rate)}).",
            f"Accepted: {count(current.accepted)} ({relative_change(current.accepted, previous.accepted)}).",
            f"Rejected: {count(current.rejected)} ({relative_change(current.rejected, previous.rejected)}).",
            f"Mean score: {score(current.score_mean)} ({score_change(current.score_mean, previous.score_mean)}).",
            "Model versions: "
            + ", ".join(f"{v or '(none)'} ({count(n)})" for v, n in current.versions.items()),
        ]
        lines += [
            f"{f.alertname} fired from {f.start:%a %Y-%m-%d %H:%M} to {f.end:%H:%M} UTC."
            for f in self.firings
        ]
        if not self.firings:
            lines.append(
                f"No business alert fired ({', '.join(a.name for a in self.alerts) or 'none enabled'})."
            )
        return "\n".join(lines) + "\n"

    def csv(self) -> str:
        """The daily figures of both weeks, one row per day, ratios and means to six significant digits."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for week in (self.previous, self.current):
            for day in week.days:
                writer.writerow([
                    week.week, day.day.isoformat(), day.accepted, day.rejected, day.decisions,
                    _blank(day.refusal_rate), _blank(day.score_mean),
                ])  # fmt: skip
        return buffer.getvalue()


def build_report(stack: Stack, prometheus: Prometheus, week: IsoWeek, now: datetime) -> BusinessReport:
    """Query the week and the one before; ReportError when the week holds no decision at all."""
    scope = stack.alerts.scope
    current = week_figures(prometheus, scope, week)
    if current.decisions == 0:
        raise ReportError(
            f"no scoring data for {week} at {prometheus.url} (no accepted or rejected application of "
            f"{scope.application} in namespace {scope.namespace})"
        )
    previous = week_figures(prometheus, scope, week.previous())
    alerts = business_alerts(stack)
    names = tuple(a.name for a in alerts)
    return BusinessReport(
        stack=stack.name,
        current=current,
        previous=previous,
        alerts=alerts,
        firings=tuple(firings(prometheus, scope, names, week, now)),
        previous_firings=tuple(firings(prometheus, scope, names, week.previous(), now)),
        prometheus=prometheus.url,
    )


def _blank(value: float | None) -> str:
    return "" if value is None else format(value, ".6g")


def percent(value: float | None) -> str:
    return "no data" if value is None else f"{value * 100:.1f} %"


def count(value: int) -> str:
    return f"{value:,}"


def score(value: float | None) -> str:
    return "no data" if value is None else f"{value:.3f}"


def points_change(now: float | None, before: float | None) -> str:
    """A ratio's change in percentage points: "+29.8 points against the previous week"."""
    if now is None or before is None:
        return "no previous week to compare with"
    return f"{(now - before) * 100:+.1f} points against the previous week"


def relative_change(now: int, before: int) -> str:
    if before == 0:
        return "none the previous week"
    return f"{(now - before) / before * 100:+.1f} % against the previous week"


def score_change(now: float | None, before: float | None) -> str:
    """The mean score's trend: its change against the previous week, and which way it goes."""
    if now is None or before is None:
        return "no previous week to compare with"
    delta = now - before
    trend = "rising" if delta > 0.0005 else "falling" if delta < -0.0005 else "steady"
    return f"{trend}, {delta:+.3f} against the previous week"

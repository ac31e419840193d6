"""A week's business figures as Prometheus has them: decisions and scores per UTC day, the model versions that
made them, and when the business alerts fired."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from conventions import contract as c
from conventions import promql as p
from dashboards_src.queries import prometheus as prom
from reports import queries as q
from reports.prometheus import Prometheus, Series
from reports.week import DAY, IsoWeek
from rules_src.alert import Scope

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Tally:
    """Decisions and the sum and count of the scores returned, over a day or a week."""

    accepted: int
    rejected: int
    score_sum: float
    score_count: float

    @property
    def decisions(self) -> int:
        return self.accepted + self.rejected

    @property
    def refusal_rate(self) -> float | None:
        return self.rejected / self.decisions if self.decisions else None

    @property
    def score_mean(self) -> float | None:
        return self.score_sum / self.score_count if self.score_count else None


@dataclass(frozen=True)
class Day(Tally):
    """One UTC day's tally."""

    day: date


@dataclass(frozen=True)
class WeekFigures(Tally):
    """The week's tally (its days summed), its days and the model versions that decided."""

    week: IsoWeek
    days: tuple[Day, ...]
    versions: dict[str, int]
    """Applications decided per model version, most first."""


@dataclass(frozen=True)
class Firing:
    """One stretch of minutes during which an alert fired."""

    alertname: str
    start: datetime
    end: datetime


def _by_day(series: list[Series], week: IsoWeek) -> dict[int, float]:
    """Values summed per day index (0 = Monday): each point is the increase over the day ending at its time."""
    totals: dict[int, float] = defaultdict(float)
    for one in series:
        for t, value in one.points:
            totals[round((t - week.start.timestamp()) / DAY.total_seconds()) - 1] += value
    return totals


def _daily(prometheus: Prometheus, expr: p.Expr, week: IsoWeek) -> list[Series]:
    return prometheus.query_range(expr, week.start + DAY, week.end, DAY)


def week_figures(prometheus: Prometheus, scope: Scope, week: IsoWeek) -> WeekFigures:
    """The week's figures; a day without samples counts zero."""
    accepted = _daily(prometheus, q.daily_by_version(scope, c.ACCEPTED_CREDITS), week)
    rejected = _daily(prometheus, q.daily_by_version(scope, c.REJECTED_CREDITS), week)
    score_sum = _by_day(_daily(prometheus, q.daily_total(scope, c.SCORE.sum), week), week)
    score_count = _by_day(_daily(prometheus, q.daily_total(scope, c.SCORE.count), week), week)
    accepted_days, rejected_days = _by_day(accepted, week), _by_day(rejected, week)
    days = tuple(
        Day(round(accepted_days[i]), round(rejected_days[i]), score_sum[i], score_count[i], day=start.date())
        for i, start in enumerate(week.days())
    )
    versions: dict[str, float] = defaultdict(float)
    for one in (*accepted, *rejected):
        versions[one.labels.get(c.MODEL_VERSION, "")] += sum(v for _, v in one.points)
    served = {name: round(n) for name, n in sorted(versions.items(), key=lambda kv: (-kv[1], kv[0]))}
    return WeekFigures(
        accepted=sum(d.accepted for d in days),
        rejected=sum(d.rejected for d in days),
        score_sum=sum(d.score_sum for d in days),
        score_count=sum(d.score_count for d in days),
        week=week,
        days=days,
        versions={name: n for name, n in served.items() if n > 0},
    )


def firings(prometheus: Prometheus, scope: Scope, alertnames: tuple[str, ...], week: IsoWeek,
            now: datetime) -> list[Firing]:  # fmt: skip
    """Each stretch of minutes in the week (up to `now`) during which one of `alertnames` fired, in order. The
    minute `now` is in counts: its point is the minute's end, even when that is still ahead."""
    end = min(week.end, _minute_end(now.astimezone(UTC)))
    if not alertnames or end <= week.start + MINUTE:
        return []
    found: list[Firing] = []
    for one in prometheus.query_range(q.alerts_firing(scope, alertnames), week.start + MINUTE, end, MINUTE):
        minutes = sorted(datetime.fromtimestamp(t, UTC) for t, v in one.points if v >= 1)
        name = one.labels.get(prom.ALERTNAME, "")
        for minute_end in minutes:
            if found and found[-1].alertname == name and found[-1].end == minute_end - MINUTE:
                found[-1] = Firing(name, found[-1].start, minute_end)
            else:
                found.append(Firing(name, minute_end - MINUTE, minute_end))
    return sorted(found, key=lambda f: (f.start, f.alertname))


def _minute_end(moment: datetime) -> datetime:
    """The end of the minute `moment` is in (`moment` itself on a minute's edge)."""
    start = moment.replace(second=0, microsecond=0)
    return start if start == moment else start + MINUTE

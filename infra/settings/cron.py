"""Standard 5-field cron schedules, as Kubernetes CronJobs read them, and the longest gap between two runs.

The drift job's staleness alert must allow at least one full schedule period; this module tells how long
that period is so that settings can be checked before anything is rendered.

Kubernetes parses schedules with robfig/cron; croniter reads a wider syntax (seconds and years, `L`, `W`, `#`,
`H`) and a few spellings differently (an equal-bound range `3-3` is the whole field to croniter, one value to
cron). So each field is checked against Kubernetes' grammar and rewritten in the plain numeric form both read
alike; croniter then finds the runs. The CronJob runs in UTC, so every run day has the same times of day.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from croniter import croniter_range

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
"""The macros Kubernetes documents for CronJobs."""

_ELEMENT = re.compile(r"(?:(?P<star>[*?])|(?P<start>[0-9a-z]+)(?:-(?P<end>[0-9a-z]+))?)(?:/(?P<step>.*))?")
_CYCLE_START = datetime(2001, 1, 1)
_WEEK = 7
_LEAP_CYCLE = 1461
"""Days in four years: the dates a schedule runs on repeat with the leap year."""
_CALENDAR_CYCLE = 10227
"""Days in 28 years: dates and weekdays line up again (every 28 years from 1901 to 2099)."""


@dataclass(frozen=True)
class _Field:
    """One of the five fields: its name in messages, its bounds and month or weekday names as Kubernetes reads
    them."""

    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    """Names of the values from `low` up, as cron spells them (lower-case here; any case is accepted)."""

    def canonical(self, text: str) -> str:
        """The field in the plain numeric form croniter reads as Kubernetes does; `*` if any element is a star
        (cron then treats the whole field as unrestricted)."""
        elements = [self._element(part) for part in text.split(",")]
        return "*" if "*" in elements else ",".join(elements)

    def _element(self, element: str) -> str:
        match = _ELEMENT.fullmatch(element.lower())
        if match is None:
            raise ValueError(self._syntax_error(element))
        step = self._step(match["step"])
        if match["star"]:
            return "*" if step == 1 else f"{self.low}-{self.high}/{step}"
        start = self._value(match["start"], element)
        end = self._value(match["end"], element) if match["end"] else self.high if match["step"] else start
        if not (self.low <= start <= self.high and self.low <= end <= self.high):
            raise ValueError(f"{self.name} {element!r} is outside {self.low}-{self.high}")
        if start > end:
            raise ValueError(f"{self.name} range {element!r} must go from low to high (cron does not wrap)")
        if start == end:
            return str(start)
        return f"{start}-{end}" + (f"/{step}" if step > 1 else "")

    def _step(self, text: str | None) -> int:
        if text is None:
            return 1
        if not (text.isascii() and text.isdigit() and int(text) > 0):
            raise ValueError(f"{self.name} step {text!r} must be a positive number")
        return int(text)

    def _value(self, text: str, element: str) -> int:
        if text.isdigit():
            return int(text)
        if text in self.names:
            return self.low + self.names.index(text)
        raise ValueError(self._syntax_error(element))

    def _syntax_error(self, element: str) -> str:
        names = f", a name ({self.names[0]}-{self.names[-1]})" if self.names else ""
        return f"{self.name} {element!r} must be *, a number{names} or a range, with an optional /step"


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day of month", 1, 31),
    _Field("month", 1, 12, _MONTHS),
    _Field("day of week", 0, 6, _WEEKDAYS),
)


@dataclass(frozen=True)
class _DayPattern:
    """Days croniter selects with at most one day field restricted (cron's OR of two restricted day fields is
    two patterns), in some months."""

    day_of_month: str
    month: str
    day_of_week: str

    def cycle_days(self) -> int:
        """How soon the days repeat: weekly when only weekdays select them, every four years when only dates
        do, every 28 years when both do."""
        by_date = (self.day_of_month, self.month) != ("*", "*")
        by_weekday = self.day_of_week != "*"
        if by_date and by_weekday:
            return _CALENDAR_CYCLE
        return _LEAP_CYCLE if by_date else _WEEK

    def days(self, horizon: int) -> set[datetime]:
        """The days over `horizon` days (a whole number of cycles), found by croniter over one cycle."""
        cycle = self.cycle_days()
        last_day = _CYCLE_START + timedelta(days=cycle - 1)
        expression = f"0 0 {self.day_of_month} {self.month} {self.day_of_week}"
        first_cycle = croniter_range(_CYCLE_START, last_day, expression, day_or=False)
        return {day + timedelta(days=cycle * n) for day in first_cycle for n in range(horizon // cycle)}


@dataclass(frozen=True)
class CronSchedule:
    """A parsed cron schedule, each field in croniter's numeric form; construct with `CronSchedule.parse`."""

    minute: str
    hour: str
    day_of_month: str
    month: str
    day_of_week: str

    @classmethod
    def parse(cls, text: str) -> CronSchedule:
        stripped = text.strip()
        if stripped.startswith("@") and stripped not in _MACROS:
            raise ValueError(f"{text!r} is not a cron schedule: the macros are {', '.join(_MACROS)}")
        parts = _MACROS.get(stripped, text).split()
        if len(parts) != len(_FIELDS):
            raise ValueError(
                f"{text!r} is not a cron schedule: expected 5 fields (e.g. '0 3 * * 1') or a macro"
            )
        return cls(*(field.canonical(part) for field, part in zip(_FIELDS, parts, strict=True)))

    def longest_gap_seconds(self) -> float:
        """The longest time between two consecutive runs (exact up to 2099; 2100 skips a leap day): between two
        run days, from the last run of the first to the first run of the next; within a day, between two of its
        times."""
        days, times = self._run_days(), self._times_of_day()
        between_days = max(b - a for a, b in pairwise(days)) - (times[-1] - times[0])
        within_day = max((b - a for a, b in pairwise(times)), default=timedelta(0))
        return max(between_days, within_day).total_seconds()

    def _times_of_day(self) -> list[timedelta]:
        last_minute = _CYCLE_START + timedelta(days=1, minutes=-1)
        runs = croniter_range(_CYCLE_START, last_minute, f"{self.minute} {self.hour} * * *")
        return [run - _CYCLE_START for run in runs]

    def _day_patterns(self) -> list[_DayPattern]:
        """Cron's rule: when both day fields are restricted, a day matching either runs the job."""
        if "*" in (self.day_of_month, self.day_of_week):
            return [_DayPattern(self.day_of_month, self.month, self.day_of_week)]
        return [
            _DayPattern(self.day_of_month, self.month, "*"),
            _DayPattern("*", self.month, self.day_of_week),
        ]

    def _run_days(self) -> list[datetime]:
        """The days it runs on over one cycle of its day patterns, and the first day of the next cycle."""
        patterns = self._day_patterns()
        horizon = math.lcm(*(pattern.cycle_days() for pattern in patterns))
        days = sorted({day for pattern in patterns for day in pattern.days(horizon)})
        if not days:
            raise ValueError("the schedule never runs: no date matches its days and months")
        return [*days, days[0] + timedelta(days=horizon)]

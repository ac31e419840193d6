"""Standard 5-field cron schedules, as Kubernetes CronJobs read them, and the longest gap between two runs.

The drift job's staleness alert must allow at least one full schedule period; this module tells how long
that period is so that settings can be checked before anything is rendered.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from itertools import pairwise

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
)


def _parse_field(text: str, name: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise ValueError(f"{name} step {step_text!r} must be a positive number")
        if body == "*":
            start, end = low, high
        elif "-" in body:
            a, _, b = body.partition("-")
            if not (a.isdigit() and b.isdigit()):
                raise ValueError(f"{name} range {body!r} must be two numbers like 1-5")
            start, end = int(a), int(b)
        elif body.isdigit():
            start = int(body)
            end = high if step else start
        else:
            raise ValueError(
                f"{name} {body!r} must be *, a number, a range or a list (names are not supported)"
            )
        if not (low <= start <= end <= high):
            raise ValueError(f"{name} {body!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step or 1))
    return frozenset(values)


class CronSchedule:
    """A parsed cron schedule; construct with `CronSchedule.parse`."""

    def __init__(self, fields: list[frozenset[int]], dom_restricted: bool, dow_restricted: bool) -> None:
        self.minutes, self.hours, self.days, self.months, dows = fields
        self.weekdays = frozenset(d % 7 for d in dows)
        self._dom_restricted = dom_restricted
        self._dow_restricted = dow_restricted

    @classmethod
    def parse(cls, text: str) -> CronSchedule:
        expanded = _MACROS.get(text.strip(), text)
        parts = expanded.split()
        if len(parts) != 5:
            raise ValueError(
                f"{text!r} is not a cron schedule: expected 5 fields (e.g. '0 3 * * 1') or a macro"
            )
        fields = [_parse_field(p, n, lo, hi) for p, (n, lo, hi) in zip(parts, _FIELDS, strict=True)]
        return cls(fields, parts[2] != "*", parts[4] != "*")

    def _runs_on(self, day: datetime) -> bool:
        if day.month not in self.months:
            return False
        in_dom = day.day in self.days
        in_dow = (day.weekday() + 1) % 7 in self.weekdays
        if self._dom_restricted and self._dow_restricted:
            return in_dom or in_dow  # cron's documented OR when both day fields are set
        return in_dom and in_dow

    def longest_gap_seconds(self) -> float:
        """The longest time between two consecutive runs over eight calendar years (two leap cycles)."""
        start = datetime(2024, 1, 1)
        days = sum(366 if calendar.isleap(y) else 365 for y in range(2024, 2032))
        times = [
            day + timedelta(hours=h, minutes=m)
            for day in (start + timedelta(days=i) for i in range(days))
            if self._runs_on(day)
            for h in sorted(self.hours)
            for m in sorted(self.minutes)
        ]
        if len(times) < 2:
            raise ValueError("the schedule never runs, or runs less than twice in eight years")
        return max((b - a).total_seconds() for a, b in pairwise(times))

"""ISO weeks in UTC: the period a business report covers, and the one it is compared with."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from reports.errors import ReportError

_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
DAY = timedelta(days=1)


@dataclass(frozen=True, order=True)
class IsoWeek:
    """One ISO week (Monday 00:00 to the next Monday 00:00, UTC); construct with `parse` or `of`."""

    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """`2026-W48`; ReportError naming the option when malformed or not a week of that year."""
        match = _WEEK_RE.match(text)
        if match is None:
            raise ReportError(f"--week: {text!r} is not an ISO week such as 2026-W48")
        year, week = int(match[1]), int(match[2])
        try:
            datetime.fromisocalendar(year, week, 1)
        except ValueError:
            raise ReportError(f"--week: {year} has no ISO week {week}") from None
        return cls(year, week)

    @classmethod
    def of(cls, moment: datetime) -> IsoWeek:
        """The week holding `moment` (an aware datetime), in UTC."""
        year, week, _ = moment.astimezone(UTC).isocalendar()
        return cls(year, week)

    @classmethod
    def last_complete(cls, now: datetime) -> IsoWeek:
        """The last week that has ended by `now`: what the Monday-morning CronJob reports on."""
        return cls.of(now).previous()

    @property
    def start(self) -> datetime:
        return datetime.fromisocalendar(self.year, self.week, 1).replace(tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return self.start + 7 * DAY

    def previous(self) -> IsoWeek:
        return IsoWeek.of(self.start - DAY)

    def days(self) -> list[datetime]:
        """The start of each of its seven days."""
        return [self.start + i * DAY for i in range(7)]

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

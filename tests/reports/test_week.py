"""ISO weeks in UTC: which week a moment falls in, the week the Monday CronJob reports on, and the one before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from reports.week import IsoWeek

CASES = {
    "a Monday morning reports on the week that just ended": (
        datetime(2026, 11, 30, 7, 0, tzinfo=UTC),
        "2026-W48",
    ),
    "late on a Sunday the week is not over yet": (datetime(2026, 11, 29, 23, 59, tzinfo=UTC), "2026-W47"),
    "a zone ahead of UTC is read in UTC": (
        datetime(2026, 11, 30, 0, 30, tzinfo=timezone(timedelta(hours=2))),
        "2026-W47",
    ),
    "across the new year (2026 has 53 weeks)": (datetime(2027, 1, 4, 7, 0, tzinfo=UTC), "2026-W53"),
}


@pytest.mark.parametrize(("now", "reported"), CASES.values(), ids=CASES)
def test_the_last_complete_week_is_read_in_utc(now: datetime, reported: str) -> None:
    week = IsoWeek.last_complete(now)
    assert str(week) == reported and week == IsoWeek.parse(reported)
    assert week.end <= now < week.end + timedelta(days=7)


def test_a_week_runs_monday_to_monday_and_knows_the_one_before() -> None:
    week = IsoWeek.parse("2027-W01")
    assert (week.start, week.end) == (datetime(2027, 1, 4, tzinfo=UTC), datetime(2027, 1, 11, tzinfo=UTC))
    assert str(week.previous()) == "2026-W53" and week.days()[6] == datetime(2027, 1, 10, tzinfo=UTC)

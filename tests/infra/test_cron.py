"""Cron schedules as Kubernetes CronJobs read them, and the longest gap between two of their runs."""

from __future__ import annotations

import pytest

from infra.settings.cron import CronSchedule

MINUTE, HOUR, DAY = 60, 3600, 86400

GAPS = [
    ("0 3 * * 1", 7 * DAY, "weekly"),
    ("*/15 * * * *", 15 * MINUTE, "every quarter hour"),
    ("*/20 9-17 * * 1-5", 2 * DAY + 15 * HOUR + 20 * MINUTE, "office hours: Friday 17:40 to Monday 09:00"),
    ("0 6 * * 1-5", 3 * DAY, "weekdays: Friday to Monday"),
    ("0 6 * * mon-FRI", 3 * DAY, "weekday names in any case"),
    ("30 2 * * 0", 7 * DAY, "Sunday is 0"),
    ("0 3 1 * *", 31 * DAY, "monthly: the longest month"),
    ("0 0 1,15 * *", 17 * DAY, "twice a month: the 15th to the 1st"),
    ("0 0 1 jan-dec/3 *", 92 * DAY, "quarterly, from month names with a step"),
    ("0 0 29 2 *", 1461 * DAY, "leap day: every four years"),
    ("0 0 * 2 1", 350 * DAY, "Mondays of February: needs more than one year of calendar"),
    ("0 0 13 * 5", 7 * DAY, "both day fields restricted: the 13th or a Friday"),
    ("0 0 ? * 5", 7 * DAY, "? is a star: Fridays only"),
    ("0 0 */1 * 5", 7 * DAY, "a star with step 1 is still a star: Fridays only"),
    ("0 3-3 * * *", DAY, "an equal-bound range is one value, not the whole field"),
    ("59/15 * * * *", HOUR, "N/step starting at the field's end is N alone"),
    ("@hourly", HOUR, "macro"),
    ("@daily", DAY, "macro"),
    ("@weekly", 7 * DAY, "macro"),
    ("@yearly", 366 * DAY, "macro: across a leap year"),
]

ERRORS = [
    ("0 3 * *", "'0 3 * *' is not a cron schedule: expected 5 fields (e.g. '0 3 * * 1') or a macro", "4 fields"),
    ("0 0 3 * * 1", "'0 0 3 * * 1' is not a cron schedule: expected 5 fields (e.g. '0 3 * * 1') or a macro",
     "a seconds field"),
    ("@reboot", "'@reboot' is not a cron schedule: the macros are @yearly, @annually, @monthly, @weekly, @daily, "
     "@midnight, @hourly", "unknown macro"),
    ("61 * * * *", "minute '61' is outside 0-59", "out of bounds"),
    ("30 2 * * 0,7", "day of week '7' is outside 0-6", "Kubernetes has no 7 for Sunday"),
    ("0 3 * * fri-mon", "day of week range 'fri-mon' must go from low to high (cron does not wrap)",
     "wrapping range"),
    ("*/0 * * * *", "minute step '0' must be a positive number", "zero step"),
    ("H 3 * * *", "minute 'H' must be *, a number or a range, with an optional /step", "hash"),
    ("0 3 L * *", "day of month 'L' must be *, a number or a range, with an optional /step", "last day"),
    ("0 3 15W * *", "day of month '15W' must be *, a number or a range, with an optional /step", "nearest weekday"),
    ("0 3 * * 5#2", "day of week '5#2' must be *, a number, a name (sun-sat) or a range, with an optional /step",
     "nth weekday"),
    ("0 3 * * monday", "day of week 'monday' must be *, a number, a name (sun-sat) or a range, with an optional "
     "/step", "long name"),
    ("0 0 31 2 *", "the schedule never runs: no date matches its days and months", "February 31st"),
]  # fmt: skip


@pytest.mark.parametrize(("schedule", "gap"), [pytest.param(s, gap, id=why) for s, gap, why in GAPS])
def test_longest_gap_between_runs(schedule: str, gap: float) -> None:
    assert CronSchedule.parse(schedule).longest_gap_seconds() == gap


@pytest.mark.parametrize(("schedule", "message"), [pytest.param(s, m, id=why) for s, m, why in ERRORS])
def test_bad_schedules_are_explained(schedule: str, message: str) -> None:
    with pytest.raises(ValueError) as error:
        CronSchedule.parse(schedule).longest_gap_seconds()
    assert str(error.value) == message

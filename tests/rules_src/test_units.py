"""Value helpers the rules depend on: durations, cron gaps, and Prometheus's value formatting."""

from __future__ import annotations

import pytest

from infra.settings.cron import CronSchedule
from rules_src.alert import ValueFormat, go_format
from rules_src.durations import duration_seconds, format_duration


@pytest.mark.parametrize(
    ("text", "seconds", "canonical"),
    [("500ms", 0.5, "500ms"), ("1m", 60, "1m"), ("1h30m", 5400, "1h30m"), ("8d", 691200, "8d"),
     ("2w", 1209600, "14d"), ("90s", 90, "1m30s"), ("0s", 0, "0s")],
)  # fmt: skip
def test_durations_round_trip(text: str, seconds: float, canonical: str) -> None:
    assert duration_seconds(text) == seconds
    assert format_duration(seconds) == canonical


@pytest.mark.parametrize("text", ["", "5", "5 m", "1.5h", "m5", "5M"])
def test_malformed_durations_are_rejected_with_examples(text: str) -> None:
    with pytest.raises(ValueError, match="is not a Prometheus duration \\(examples: 30s, 5m, 1h30m, 7d\\)"):
        duration_seconds(text)


@pytest.mark.parametrize(
    ("schedule", "gap"),
    [("0 3 * * 1", 7 * 86400), ("@daily", 86400), ("*/15 * * * *", 900), ("0 6 * * 1-5", 3 * 86400),
     ("0 3 1 * *", 31 * 86400), ("0 0 1,15 * *", 17 * 86400), ("30 2 * * 0,7", 7 * 86400)],
)  # fmt: skip
def test_cron_longest_gap(schedule: str, gap: float) -> None:
    assert CronSchedule.parse(schedule).longest_gap_seconds() == gap


@pytest.mark.parametrize(
    ("schedule", "message"),
    [("0 3 * *", "expected 5 fields"), ("61 * * * *", "minute '61' is outside 0-59"),
     ("0 3 * * MON", "day of week 'MON' must be \\*, a number"), ("0 0 31 2 *", "the schedule never runs"),
     ("*/0 * * * *", "minute step '0' must be a positive number")],
)  # fmt: skip
def test_bad_cron_is_explained(schedule: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CronSchedule.parse(schedule).longest_gap_seconds()


@pytest.mark.parametrize(
    ("value", "fmt", "text"),
    [(0.06, ValueFormat.PERCENT, "6%"), (0.012000000000000002, ValueFormat.PERCENT, "1.2%"),
     (0.5833333, ValueFormat.DURATION, "583.3ms"), (1.1666667, ValueFormat.DURATION, "1.167s"),
     (691260, ValueFormat.DURATION, "8d 0h 1m 0s"), (3725, ValueFormat.DURATION, "1h 2m 5s"),
     (90.0, ValueFormat.PERCENT_POINTS, "90.0%"), (1, ValueFormat.NONE, "1")],
)  # fmt: skip
def test_values_print_as_prometheus_templates_print_them(value: float, fmt: ValueFormat, text: str) -> None:
    assert go_format(value, fmt) == text

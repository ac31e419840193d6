"""Prometheus durations: parsed once into a Duration, written back the way a person would."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conventions.durations import Duration, duration_seconds, format_duration


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


def test_a_duration_keeps_the_text_as_written_and_compares_by_length() -> None:
    written = Duration.parse("90s")
    assert (str(written), written.seconds, written.timedelta) == ("90s", 90, timedelta(seconds=90))
    assert written == Duration.parse("1m30s") and Duration.parse("1m") < written

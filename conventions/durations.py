"""Prometheus durations: parsing them to seconds and writing seconds back the way a person would."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

_UNITS = (("y", 365 * 86400), ("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1), ("ms", 0.001))
_DURATION_RE = re.compile(r"^((\d+)y)?((\d+)w)?((\d+)d)?((\d+)h)?((\d+)m)?((\d+)s)?((\d+)ms)?$")


def duration_seconds(text: str) -> float:
    """Seconds in a Prometheus duration; ValueError with examples when malformed."""
    match = _DURATION_RE.match(text)
    if not text or match is None:
        raise ValueError(f"{text!r} is not a Prometheus duration (examples: 30s, 5m, 1h30m, 7d)")
    return sum(int(match.group(2 * i + 2) or 0) * size for i, (_, size) in enumerate(_UNITS))


def format_duration(seconds: float) -> str:
    """The shortest Prometheus duration (days and below) for a whole number of milliseconds."""
    millis = round(seconds * 1000)
    if millis == 0:
        return "0s"
    parts = []
    for unit, size in _UNITS[2:6]:
        count, millis = divmod(millis, int(size * 1000))
        if count:
            parts.append(f"{count}{unit}")
    if millis:
        parts.append(f"{millis}ms")
    return "".join(parts)


@dataclass(frozen=True, order=True)
class Duration:
    """A Prometheus duration as the user wrote it ("5m") and what it means: settings are parsed once into
    these, so builders read `.seconds` and print the text the user wrote, never converting again."""

    seconds: float
    text: str = field(compare=False)

    @classmethod
    def parse(cls, text: str) -> Duration:
        """ValueError with examples when `text` is not a Prometheus duration."""
        return cls(duration_seconds(text), text)

    @property
    def timedelta(self) -> timedelta:
        return timedelta(seconds=self.seconds)

    def __str__(self) -> str:
        return self.text

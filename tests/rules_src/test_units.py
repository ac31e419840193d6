"""Prometheus's value formatting, as the generated rule tests expect it."""

from __future__ import annotations

import pytest

from rules_src.alert import ValueFormat, go_format


@pytest.mark.parametrize(
    ("value", "fmt", "text"),
    [(0.06, ValueFormat.PERCENT, "6%"), (0.012000000000000002, ValueFormat.PERCENT, "1.2%"),
     (0.5833333, ValueFormat.DURATION, "583.3ms"), (1.1666667, ValueFormat.DURATION, "1.167s"),
     (691260, ValueFormat.DURATION, "8d 0h 1m 0s"), (3725, ValueFormat.DURATION, "1h 2m 5s"),
     (90.0, ValueFormat.PERCENT_POINTS, "90.0%"), (1, ValueFormat.NONE, "1")],
)  # fmt: skip
def test_values_print_as_prometheus_templates_print_them(value: float, fmt: ValueFormat, text: str) -> None:
    assert go_format(value, fmt) == text

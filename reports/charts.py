"""The report's two charts as PNG bytes, drawn with matplotlib at a fixed size and without a timestamp in the
file, so the same figures give the same bytes."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from reports.figures import WeekFigures

SIZE_INCHES = (7.5, 3.2)
DPI = 96
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
GREEN, ORANGE, GREY, RED = "#37872d", "#fa6400", "#8e8e8e", "#c4162a"
HEADROOM = 1.35
"""Room above the highest bar and point for the legend."""


def _png(figure: Any) -> bytes:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def decisions_chart(current: WeekFigures, previous: WeekFigures, threshold: float | None) -> bytes:
    """Accepted and rejected applications per day, with the refusal rate of both weeks against the alert's
    threshold."""
    figure, bars = plt.subplots(figsize=SIZE_INCHES)
    days = range(7)
    accepted = [d.accepted for d in current.days]
    bars.bar(days, accepted, color=GREEN, label="accepted")
    bars.bar(days, [d.rejected for d in current.days], bottom=accepted, color=ORANGE, label="rejected")
    bars.set_ylabel("applications")
    bars.set_xticks(list(days), WEEKDAYS)
    rates = bars.twinx()
    for week, style, color in ((current, "-", "black"), (previous, "--", GREY)):
        values = [d.refusal_rate for d in week.days]
        points = [(i, v * 100) for i, v in enumerate(values) if v is not None]
        if points:
            xs, ys = zip(*points, strict=True)
            rates.plot(xs, ys, style, marker="o", color=color, label=f"refusal rate {week.week}")
    if threshold is not None:
        rates.axhline(threshold * 100, linestyle=":", color=RED, label=f"alert threshold {threshold:.0%}")
    rates.set_ylabel("refusal rate (%)")
    highest = max([d.refusal_rate or 0 for w in (current, previous) for d in w.days] + [threshold or 0])
    rates.set_ylim(0, max(highest * 100, 1) * HEADROOM)
    bars.set_ylim(0, max([d.decisions for d in current.days] + [1]) * HEADROOM)
    handles = [h for axis in (bars, rates) for h in axis.get_legend_handles_labels()[0]]
    bars.legend(handles=handles, fontsize=7, loc="upper left", ncol=3)
    bars.set_title(f"Decisions per day, {current.week} (UTC)", fontsize=10)
    return _png(figure)


def score_chart(current: WeekFigures, previous: WeekFigures) -> bytes:
    """The mean score per day of both weeks: a drift of the mean shows as a gap between the lines."""
    figure, axis = plt.subplots(figsize=SIZE_INCHES)
    for week, style, color in ((current, "-", "black"), (previous, "--", GREY)):
        points = [(i, d.score_mean) for i, d in enumerate(week.days) if d.score_mean is not None]
        if points:
            xs, ys = zip(*points, strict=True)
            axis.plot(xs, ys, style, marker="o", color=color, label=str(week.week))
    axis.set_xticks(list(range(7)), WEEKDAYS)
    axis.set_ylabel("mean score (probability of default)")
    axis.legend(fontsize=7)
    axis.set_title("Mean score per day", fontsize=10)
    return _png(figure)

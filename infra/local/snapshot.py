"""PNG previews of each dashboard's panels, drawn with matplotlib from the live local Prometheus, so that users
and reviewers can look at the dashboards without a Grafana. Threshold steps show as dashed lines."""

from __future__ import annotations

import json
import math
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from dashboards_src.variables import panels, substitute

COLUMNS = 3
STEP_SECONDS = 15
STEP = f"{STEP_SECONDS}s"


def _query_range(prometheus: str, query: str, minutes: float) -> list[dict[str, Any]]:
    end = time.time()
    params = {"query": query, "start": f"{end - minutes * 60:.0f}", "end": f"{end:.0f}", "step": STEP}
    url = f"{prometheus}/api/v1/query_range?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=20) as response:
        result: list[dict[str, Any]] = json.load(response)["data"]["result"]
    return result


def _thresholds(panel: dict[str, Any]) -> list[tuple[float, str]]:
    steps = panel.get("fieldConfig", {}).get("defaults", {}).get("thresholds", {}).get("steps", [])
    return [(float(s["value"]), str(s.get("color", "red"))) for s in steps if s.get("value") is not None]


def _legend(metric: dict[str, str], legend_format: str) -> str:
    if legend_format:
        text = legend_format
        for key, value in metric.items():
            text = text.replace(f"{{{{{key}}}}}", value)
        return text
    return ",".join(f"{k}={v}" for k, v in sorted(metric.items()) if k != "__name__") or "value"


def _draw(axis: Any, panel: dict[str, Any], board: dict[str, Any], prometheus: str, minutes: float) -> int:
    """Plot one panel; returns how many series it drew."""
    drawn = 0
    for target in panel.get("targets", []):
        for series in _query_range(prometheus, substitute(target["expr"], board), minutes):
            points = [(float(t), float(v)) for t, v in series["values"] if not math.isnan(float(v))]
            if points:
                xs = [(t - points[-1][0]) / 60 for t, _ in points]
                axis.plot(
                    xs,
                    [v for _, v in points],
                    label=_legend(series["metric"], target.get("legendFormat", "")),
                )
                drawn += 1
    for value, color in _thresholds(panel):
        axis.axhline(value, linestyle="--", linewidth=1, color=color if color.startswith("#") else "red")
    axis.set_title(panel["title"], fontsize=9)
    axis.set_xlabel("minutes", fontsize=7)
    axis.tick_params(labelsize=7)
    if drawn == 0:
        axis.text(0.5, 0.5, "no data", ha="center", va="center", transform=axis.transAxes, color="grey")
    elif drawn <= 6:
        axis.legend(fontsize=6)
    return drawn


def snapshot(board: dict[str, Any], prometheus: str, out: Path, minutes: float = 30) -> tuple[int, int]:
    """Draw every data panel of `board` into one PNG; returns (panels, panels with data)."""
    shown = [p for p in panels(board) if p.get("targets")]
    rows = math.ceil(len(shown) / COLUMNS)
    figure, axes = plt.subplots(rows, COLUMNS, figsize=(COLUMNS * 5, rows * 3), squeeze=False)
    with_data = sum(
        _draw(axis, panel, board, prometheus, minutes) > 0
        for axis, panel in zip(axes.flat, shown, strict=False)
    )
    for axis in list(axes.flat)[len(shown) :]:
        axis.set_visible(False)
    figure.suptitle(f"{board['title']} — last {minutes:g} minutes", fontsize=12)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=80)
    plt.close(figure)
    return len(shown), with_data

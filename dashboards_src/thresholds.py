"""Threshold lines and runbook links taken from the stack's resolved alerts, so a panel always shows the
thresholds its alerts fire at: a settings override moves the line, a disabled alert removes it."""

from __future__ import annotations

from dataclasses import dataclass

from conventions.routing import Severity
from dashboards_src import style
from rules_src.alert import AlertSpec
from rules_src.stack import Alerts

PERCENT = 100.0
"""Scale from a ratio threshold to a series measured in percent (cpu_usage_percentage)."""

_COLOR = {
    Severity.CRITICAL: style.RED,
    Severity.WARNING: style.ORANGE,
    Severity.INFO: style.BLUE,
    Severity.NONE: style.GREY,
}


@dataclass(frozen=True)
class Line:
    """An alert whose threshold a panel draws, and the factor from the threshold's unit to the panel's."""

    spec: AlertSpec
    scale: float = 1.0


def alert_lines(alerts: Alerts, *lines: Line) -> list[style.Json]:
    """Threshold steps at each enabled alert's threshold, coloured by the alert's severity in this stack."""
    values = []
    for line in lines:
        alert = alerts.named(line.spec.name)
        if alert.enabled and alert.threshold is not None:
            values.append((round(alert.threshold * line.scale, 9), _COLOR[alert.severity]))
    return style.steps(style.GREEN, values)


def runbook_links(alerts: Alerts, *lines: Line) -> list[style.Json]:
    """Panel links to the runbooks of the enabled alerts a panel draws."""
    links = []
    for line in lines:
        alert = alerts.named(line.spec.name)
        if alert.enabled:
            links.append(
                {"targetBlank": True, "title": f"Runbook: {alert.name}", "url": alerts.links.runbook(alert)}
            )
    return links

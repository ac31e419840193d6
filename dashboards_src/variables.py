"""Names of the dashboards' template variables and of Grafana's built-in ones, shared by queries and frames."""

from __future__ import annotations

PROMETHEUS = "prometheus"
"""The datasource plugin every panel queries."""

DATASOURCE = "datasource"
NAMESPACE = "namespace"
APPLICATION = "application"
STACK = "stack"

RATE_INTERVAL = "$__rate_interval"
"""Grafana's window for rate(): at least four scrape intervals, and wider when the panel zooms out."""
RANGE = "$__range"
"""Grafana's dashboard time range, for totals over what the reader is looking at."""

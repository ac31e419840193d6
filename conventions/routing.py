"""The labels Alertmanager routes, groups and inhibits on, and the values Vigie gives them."""

from __future__ import annotations

from enum import StrEnum

ALERTNAME = "alertname"
SEVERITY = "severity"
CATEGORY = "category"
FAMILY = "family"
"""Alerts of one family watch one signal (errors, latency…): a page mutes its family's warnings."""
SERVICE = "service"
"""What an alert watches: 'scoring' (the service), 'drift' (the drift job) or 'alerting' (the pipeline)."""


class Severity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"
    NONE = "none"


class Category(StrEnum):
    """The routing key: the seed's Alertmanager categories, plus service warnings and the watchdog."""

    URGENT = "urgent"
    ML_DEGRADATION = "ml-degradation"
    RESOURCE = "resource"
    SERVICE_HEALTH = "service-health"
    """Warnings on the service's health (5xx, p95, model version); named apart from the `service` label."""
    BUSINESS = "business"
    WATCHDOG = "watchdog"

"""Series and labels Prometheus itself creates, which the metric contract (the service's and the drift job's
series) does not list."""

from __future__ import annotations

ALERTS = "ALERTS"
"""One series per pending or firing alert, labelled with the alert's labels plus alertname and alertstate."""
ALERTNAME = "alertname"
ALERTSTATE = "alertstate"
FIRING = "firing"
METRIC_NAME = "__name__"

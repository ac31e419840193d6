"""PromQL of the drift dashboard: the drift job's last pushed verdicts, per feature, and its own health.

The job pushes once per run and the Pushgateway keeps the last push; each series is reduced with an
aggregation so that the Pushgateway's own labels (instance) never split it.
"""

from __future__ import annotations

from dashboards_src.queries.selectors import DRIFT, aggregate, select
from serving import contract as c


def latest(metric: c.Metric) -> str:
    """The last pushed value, as one series."""
    return aggregate("max", (), select(metric.name, DRIFT))


def lowest(metric: c.Metric) -> str:
    """The lowest pushed value, for a flag where 0 is the bad news."""
    return aggregate("min", (), select(metric.name, DRIFT))


def by_label(metric: c.Metric, *labels: str) -> str:
    """The last pushed value per label value (per feature and test, per dataset)."""
    return aggregate("max", labels, select(metric.name, DRIFT))


def since(timestamp: c.Metric) -> str:
    """Seconds since the pushed Unix time."""
    return f"time() - {latest(timestamp)}"

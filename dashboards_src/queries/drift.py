"""PromQL of the drift dashboard: the drift job's last pushed verdicts, per feature, and its own health.

The job pushes once per run and the Pushgateway keeps the last push; each series is reduced with an
aggregation so that the Pushgateway's own labels (instance) never split it.
"""

from __future__ import annotations

from conventions import contract as c
from conventions import promql as p
from dashboards_src import variables as v


def _latest(metric: c.Metric) -> p.Aggregate:
    return p.max(v.SCOPE.drift(metric.name))


def latest(metric: c.Metric) -> str:
    """The last pushed value, as one series."""
    return _latest(metric).render()


def lowest(metric: c.Metric) -> str:
    """The lowest pushed value, for a flag where 0 is the bad news."""
    return p.min(v.SCOPE.drift(metric.name)).render()


def by_label(metric: c.Metric, *labels: str) -> str:
    """The last pushed value per label value (per feature and test, per dataset)."""
    return p.max(v.SCOPE.drift(metric.name), by=labels).render()


def since(timestamp: c.Metric) -> str:
    """Seconds since the pushed Unix time."""
    return p.sub(p.time(), _latest(timestamp)).render()

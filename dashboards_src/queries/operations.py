"""PromQL of the operations dashboard: traffic, errors, latency, CPU, autoscaling, model version, alerts."""

from __future__ import annotations

from collections.abc import Sequence

from conventions import contract as c
from conventions import promql as p
from dashboards_src import variables as v
from dashboards_src.queries import prometheus as prom


def request_rate_by_route_status() -> str:
    """Traffic per route and status code, which the recorded rate aggregates away (health-check probes left out,
    as there)."""
    requests = p.rate(
        v.SCOPE.scoring(c.HTTP_REQUESTS.name, p.differs(c.ROUTE, c.HEALTH_CHECK_ROUTE)), v.RATE_INTERVAL
    )
    return p.sum(requests, by=(c.ROUTE, c.STATUS_CODE)).render()


def request_rate() -> str:
    """Total traffic, from the recorded per-application rate."""
    return p.sum(v.SCOPE.scoring(c.REQUEST_RATE.name)).render()


def _cpu() -> p.Selector:
    return v.SCOPE.cluster(c.CPU_USAGE.name)


def cpu_usage() -> str:
    """The recorded CPU of the picked namespace, in percent, as the CPU alert reads it."""
    return _cpu().render()


def cpu_usage_now() -> str:
    """The CPU as one value, for a single-value panel."""
    return p.max(_cpu()).render()


def _per_deployment(metric: c.Metric) -> p.Aggregate:
    return p.sum(v.SCOPE.scoring(metric.name), by=(c.DEPLOYMENT,))


def per_deployment(metric: c.Metric) -> str:
    """A Serve gauge summed per deployment, across replicas."""
    return _per_deployment(metric).render()


def running_replicas() -> str:
    """Healthy replicas of the whole application."""
    return p.sum(v.SCOPE.scoring(c.REPLICAS_HEALTHY.name)).render()


def ongoing_per_replica() -> str:
    """Ongoing requests the autoscaler sees, per running replica: what it compares with its target."""
    ongoing = _per_deployment(c.AUTOSCALING_TOTAL_REQUESTS)
    return p.div(ongoing, _per_deployment(c.REPLICAS_HEALTHY), multiline=True).render()


def ongoing_target() -> str:
    """The ongoing requests per replica the autoscaler aims for."""
    return p.max(v.SCOPE.scoring(c.AUTOSCALING_TARGET_ONGOING.name), by=(c.DEPLOYMENT,)).render()


def replicas_by_model_version() -> str:
    """How many replicas serve each model version."""
    serving = p.eq(v.SCOPE.scoring(c.MODEL_VERSION_INFO.name), 1)
    return p.count(serving, by=(c.MODEL_VERSION,)).render()


def _firing(alert_names: Sequence[str]) -> p.Selector:
    firing = p.equals(prom.ALERTSTATE, prom.FIRING)
    return p.select(prom.ALERTS, firing, p.one_of(prom.ALERTNAME, sorted(alert_names)))


def firing_alerts(alert_names: Sequence[str]) -> str:
    """The stack's own alerts that are firing now."""
    return _firing(alert_names).render()


def firing_alert_count(alert_names: Sequence[str]) -> str:
    """0, not nothing, when no alert fires."""
    return p.or_(p.count(_firing(alert_names)), p.vector(0)).render()

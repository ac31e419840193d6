"""PromQL of the operations dashboard: traffic, errors, latency, CPU, autoscaling, model version, alerts."""

from __future__ import annotations

from collections.abc import Sequence

from dashboards_src.queries import prometheus as p
from dashboards_src.queries.selectors import CLUSTER, SCORING, aggregate, rate, select
from serving import contract as c


def request_rate_by_route_status() -> str:
    """Traffic per route and status code, which the recorded rate aggregates away."""
    return aggregate("sum", (c.ROUTE, c.STATUS_CODE), rate(c.HTTP_REQUESTS.name, SCORING))


def request_rate() -> str:
    """Total traffic, from the recorded per-application rate."""
    return aggregate("sum", (), select(c.REQUEST_RATE.name, SCORING))


def cpu_usage() -> str:
    """The recorded CPU of the picked namespace, in percent, as the CPU alert reads it."""
    return select(c.CPU_USAGE.name, CLUSTER)


def cpu_usage_now() -> str:
    """The CPU as one value, for a single-value panel."""
    return aggregate("max", (), cpu_usage())


def per_deployment(metric: c.Metric) -> str:
    """A Serve gauge summed per deployment, across replicas."""
    return aggregate("sum", (c.DEPLOYMENT,), select(metric.name, SCORING))


def running_replicas() -> str:
    """Healthy replicas of the whole application."""
    return aggregate("sum", (), select(c.REPLICAS_HEALTHY.name, SCORING))


def ongoing_per_replica() -> str:
    """Ongoing requests the autoscaler sees, per running replica: what it compares with its target."""
    return f"{per_deployment(c.AUTOSCALING_TOTAL_REQUESTS)}\n/\n{per_deployment(c.REPLICAS_HEALTHY)}"


def ongoing_target() -> str:
    """The ongoing requests per replica the autoscaler aims for."""
    return aggregate("max", (c.DEPLOYMENT,), select(c.AUTOSCALING_TARGET_ONGOING.name, SCORING))


def replicas_by_model_version() -> str:
    """How many replicas serve each model version."""
    return aggregate("count", (c.MODEL_VERSION,), f"{select(c.MODEL_VERSION_INFO.name, SCORING)} == 1")


def firing_alerts(alert_names: Sequence[str]) -> str:
    """The stack's own alerts that are firing now."""
    names = "|".join(sorted(alert_names))
    return select(p.ALERTS, f'{p.ALERTSTATE}="{p.FIRING}",{p.ALERTNAME}=~"{names}"')


def firing_alert_count(alert_names: Sequence[str]) -> str:
    """0, not nothing, when no alert fires."""
    return f"{aggregate('count', (), firing_alerts(alert_names))} or vector(0)"

"""The one Serve config of the scoring application, from a stack's settings, in Ray Serve's config-file
schema (ServeDeploySchema): a RayService's serveConfigV2 and the local run both deploy this document.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.settings.model import Model, Serving
from infra.settings.types import local_location, resolve_location
from rules_src.alerts.cpu import CPU_USAGE
from rules_src.stack import Alerts
from serving import autoscaling_policy
from serving.options import DEPLOYMENT, IMPORT_PATH, ScoringOptions

ROUTE_PREFIX = "/"
LOG_CLOSE_SHARE = 0.8
"""Share of the graceful-shutdown budget a stopping replica spends flushing its prediction log."""
_MEMORY_UNITS = {"Mi": 2**20, "Gi": 2**30}


@dataclass(frozen=True)
class Placement:
    """Where the config will run: how HTTP is bound and what relative URIs are relative to."""

    host: str = "0.0.0.0"
    port: int = 8000
    base_dir: Path | None = None
    """Relative artifact and log URIs are made absolute under it; None keeps them relative (a pod's cwd)."""
    spool_dir: str | None = None
    """The replicas' local spool folder where the platform provides one (a pod's emptyDir); None: the
    setting's, under base_dir."""
    local: bool = False
    """A local run: object-storage URIs are kept in base_dir's run folder (infra.settings.types.local_location)."""


@dataclass(frozen=True)
class LocalOverrides:
    """What only a local run may change: the reported model version, and fault injection."""

    model_version: str | None = None
    faults: bool = False


def _uri(uri: str, placement: Placement) -> str:
    """Relative locations under the base (the project, or the pod's data volume); object storage in the
    project's run folder for a local run, as written otherwise; without a base, everything as written."""
    if placement.base_dir is None:
        return uri
    if placement.local:
        return local_location(uri, placement.base_dir)
    return resolve_location(uri, placement.base_dir)


def _memory_bytes(quantity: str) -> int:
    return int(quantity[:-2]) * _MEMORY_UNITS[quantity[-2:]]


def scoring_options(
    serving: Serving, model: Model, placement: Placement, overrides: LocalOverrides
) -> ScoringOptions:
    return ScoringOptions(
        artifact_uri=_uri(model.artifact_uri, placement),
        model_version=overrides.model_version,
        declared_version=model.version,
        prediction_log_uri=_uri(serving.prediction_log.uri, placement),
        flush_rows=serving.prediction_log.flush_rows,
        flush_interval_s=serving.prediction_log.flush_interval.seconds,
        max_unwritten_rows=serving.prediction_log.max_unwritten_rows,
        spool_dir=placement.spool_dir or _uri(serving.prediction_log.spool_dir, placement),
        log_close_timeout_s=serving.graceful_shutdown_timeout.seconds * LOG_CLOSE_SHARE,
        max_request_bytes=serving.max_request_bytes,
        max_batch_size=serving.batching.max_batch_size,
        batch_wait_timeout_s=serving.batching.batch_wait_timeout.seconds,
        faults=overrides.faults,
    )


def scaling_cpu_threshold(alerts: Alerts) -> float:
    """The mean CPU share above which Serve adds replicas: CpuUsageHigh's threshold as the stack resolves it
    (kept when the alert is disabled), so scaling acts at the line the alert watches."""
    threshold = alerts.named(CPU_USAGE.name).threshold
    assert threshold is not None, "CpuUsageHigh has a ratio threshold"
    return threshold


def autoscaling_policy_config(alerts: Alerts) -> dict[str, Any]:
    """Serve's `autoscaling_config.policy`: Vigie's CPU-and-queue policy, built with the stack's CPU threshold."""
    return {
        "policy_function": autoscaling_policy.IMPORT_PATH,
        "policy_kwargs": {"cpu_threshold": scaling_cpu_threshold(alerts)},
    }


DIRECT_INGRESS_DRAINING_S = 30.0
"""How long a stopping replica that serves HTTP itself first stays reachable, so the load balancers in front
(HAProxy) stop sending it requests: Serve's RAY_SERVE_DIRECT_INGRESS_MIN_DRAINING_PERIOD_S, at its default."""


def shutdown_budget_s(serving: Serving) -> float:
    """How long Serve lets a stopping replica take before it kills it: the setting, after the draining period
    when replicas serve HTTP themselves. Serve floors the budget at the draining period plus 5 s, which left a
    replica fronted by HAProxy 5 s, not the setting, to finish its requests and flush its prediction log."""
    drain = 0.0 if serving.ingress == "proxy" else DIRECT_INGRESS_DRAINING_S
    return serving.graceful_shutdown_timeout.seconds + drain


def deployment_config(serving: Serving, alerts: Alerts) -> dict[str, Any]:
    """The CreditScorer deployment's options: concurrency, autoscaling, resources, shutdown budget."""
    scaling = serving.autoscaling
    return {
        "name": DEPLOYMENT,
        "max_ongoing_requests": serving.max_ongoing_requests,
        "autoscaling_config": {
            "min_replicas": scaling.min_replicas,
            "initial_replicas": scaling.min_replicas,
            "max_replicas": scaling.max_replicas,
            "target_ongoing_requests": scaling.target_ongoing_requests,
            "upscale_delay_s": scaling.upscale_delay.seconds,
            "downscale_delay_s": scaling.downscale_delay.seconds,
            "look_back_period_s": scaling.look_back_period.seconds,
            "policy": autoscaling_policy_config(alerts),
        },
        "ray_actor_options": {
            "num_cpus": serving.resources.cpus,
            "memory": _memory_bytes(serving.resources.memory),
        },
        "graceful_shutdown_timeout_s": shutdown_budget_s(serving),
    }


DIRECT_INGRESS_ENV = {"RAY_SERVE_THROUGHPUT_OPTIMIZED": "1"}
"""Serve's throughput preset: replicas serve HTTP themselves (direct ingress), user code and router on the
replica's main loop, gRPC between deployments, buffered access logs. See bench/serving_benchmark.py."""


HAPROXY_INGRESS_ENV = {
    **DIRECT_INGRESS_ENV,
    "RAY_SERVE_ENABLE_HA_PROXY": "1",
    "RAY_SERVE_HAPROXY_METRICS_ENABLED": "0",
}
"""Serve's HAProxy ingress: one HAProxy per node on the HTTP port, in front of the replicas' direct ingress (the
throughput preset's other knobs kept). HAProxy's own copy of Serve's HTTP metrics is off: it labels every
request with the application's route prefix (`route="/"`), which blinds the per-route latency rules; without
it the replicas count their requests as in direct ingress, by the route they matched (`/predict`)."""
_INGRESS_ENV = {"proxy": {}, "direct": DIRECT_INGRESS_ENV, "haproxy": HAPROXY_INGRESS_ENV}


def serve_environment(serving: Serving) -> dict[str, str]:
    """Environment the Ray processes need for the stack's ingress mode (Serve reads it when imported)."""
    return dict(_INGRESS_ENV[serving.ingress])


def serve_config(
    serving: Serving,
    model: Model,
    alerts: Alerts,
    placement: Placement | None = None,
    overrides: LocalOverrides | None = None,
) -> dict[str, Any]:
    """The Serve config document (ServeDeploySchema) of the stack's scoring application."""
    placement = placement or Placement()
    options = scoring_options(serving, model, placement, overrides or LocalOverrides())
    application: dict[str, Any] = {
        "name": serving.application,
        "route_prefix": ROUTE_PREFIX,
        "import_path": IMPORT_PATH,
        "args": options.model_dump(mode="json"),
        "deployments": [deployment_config(serving, alerts)],
    }
    if not serving.access_log:
        application["logging_config"] = {"enable_access_log": False}  # Serve logs every request by default
    return {
        "proxy_location": "EveryNode",
        "http_options": {"host": placement.host, "port": placement.port},
        "applications": [application],
    }

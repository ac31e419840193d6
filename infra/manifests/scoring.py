"""The scoring service on KubeRay: a RayService deploying the same Serve config as the local run, and the
PodMonitor that scrapes Ray's metrics on every pod of its cluster.

Serve scales replicas between serving.autoscaling's bounds; Ray's in-tree autoscaler adds and removes worker
pods to fit them, one replica per worker pod (the head takes none).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.labels import common_labels
from infra.manifests.data_volume import DATA_DIR, StackUris, data_mounts, data_volumes
from infra.manifests.names import (
    RAY_CLIENT_PORT,
    RAY_DASHBOARD_AGENT_PORT,
    RAY_DASHBOARD_PORT,
    RAY_GCS_PORT,
    RAY_METRICS_PORT,
    RAY_SERVICE,
    SERVE_PORT,
)
from infra.manifests.pods import (
    PULL_POLICY,
    TMP_DIR,
    http_probe,
    requirements,
    storage_env,
    storage_mounts,
    storage_volumes,
    tmp_mount,
    tmp_volume,
)
from infra.manifests.security import VIGIE_GROUP, VIGIE_USER, container_security, pod_security
from infra.manifests.selectors import monitored_labels, pod_selector
from infra.serialize import to_yaml
from infra.settings.model import Compute, Model, Platform, ScoringPlatform, Serving
from rules_src.stack import Alerts
from serving.serve_config import Placement, serve_config, serve_environment, shutdown_budget_s

COMPONENT = "scoring"
WORKER_GROUP = "scoring"
HEAD_CONTAINER = "ray-head"
WORKER_CONTAINER = "ray-worker"
NODE_TYPE_LABEL = "ray.io/node-type"
"""The pod label KubeRay sets to "head" or "worker"; the PodMonitor copies it onto every series it scrapes
(prometheus-operator sanitises it to conventions.contract.NODE_TYPE_POD_LABEL)."""
METRICS_PORT_NAME = "metrics"
SERVE_PORT_NAME = "serve"
SHUTDOWN_MARGIN_SECONDS = 30
SPOOL_VOLUME = "prediction-spool"
SPOOL_DIR = "/var/spool/vigie/predictions"
"""The prediction log's write-ahead spool on each worker pod: an emptyDir, so it outlives a replica process
crash and a container restart (it lives as long as the pod), and the next replica on the pod replays it."""
"""Time a stopping pod has beyond the replica's own graceful shutdown, for Ray to stop its processes."""


@dataclass(frozen=True)
class ScoringSlice:
    """What the scoring objects read. `uris` are all the stack's storage locations, the drift reports' too:
    the pods mount the shared data volume when any of them is relative."""

    stack_name: str
    serving: Serving
    model: Model
    platform: Platform
    uris: StackUris
    alerts: Alerts
    """The stack's resolved alerts: the Serve config's autoscaling policy scales at CpuUsageHigh's threshold."""


def serve_document(serving: Serving, model: Model, alerts: Alerts) -> dict[str, Any]:
    """The Serve config the RayService deploys: relative URIs under the data volume, HTTP on every pod."""
    placement = Placement(host="0.0.0.0", port=SERVE_PORT, base_dir=Path(DATA_DIR), spool_dir=SPOOL_DIR)
    return serve_config(serving, model, alerts, placement)


def _serve_env(serving: Serving) -> list[dict[str, Any]]:
    """The ingress mode's Serve environment, on every Ray container: the controller (head) reads it to choose
    the ingress, each node's proxy (HAProxy, or Serve's) and replicas to serve by it."""
    return [{"name": name, "value": value} for name, value in serve_environment(serving).items()]


def _port(name: str, number: int) -> dict[str, Any]:
    return {"name": name, "containerPort": number, "protocol": "TCP"}


def _container(
    scoring: ScoringSlice, name: str, compute: Compute, ports: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "name": name,
        "image": scoring.platform.images.vigie,
        "imagePullPolicy": PULL_POLICY,
        "ports": ports,
        "env": [
            {"name": "HOME", "value": TMP_DIR},
            *storage_env(scoring.platform),
            *_serve_env(scoring.serving),
        ],
        "resources": requirements(compute),
        "securityContext": container_security(),
        "volumeMounts": [tmp_mount(), *data_mounts(scoring.uris), *storage_mounts(scoring.platform)],
    }


def _pod(scoring: ScoringSlice, container: dict[str, Any], service_account_token: bool) -> dict[str, Any]:
    """The head keeps its service-account token: the autoscaler sidecar scales the cluster through the API."""
    grace = shutdown_budget_s(scoring.serving) + SHUTDOWN_MARGIN_SECONDS
    return {
        "metadata": {"labels": common_labels(scoring.stack_name, COMPONENT)},
        "spec": {
            "automountServiceAccountToken": service_account_token,
            "securityContext": pod_security(VIGIE_USER, VIGIE_GROUP),
            "terminationGracePeriodSeconds": int(grace),
            "containers": [container],
            "volumes": [tmp_volume(), *data_volumes(scoring.uris), *storage_volumes(scoring.platform)],
        },
    }


def _head(scoring: ScoringSlice) -> dict[str, Any]:
    ports = [
        _port("gcs-server", RAY_GCS_PORT),
        _port("dashboard", RAY_DASHBOARD_PORT),
        _port("client", RAY_CLIENT_PORT),
        _port(SERVE_PORT_NAME, SERVE_PORT),
        _port(METRICS_PORT_NAME, RAY_METRICS_PORT),
        _port("dashboard-agent", RAY_DASHBOARD_AGENT_PORT),
    ]
    container = _container(scoring, HEAD_CONTAINER, scoring.platform.scoring.head, ports)
    container["livenessProbe"] = http_probe("/api/gcs_healthz", RAY_DASHBOARD_PORT, 5, 120, delay=30)
    container["readinessProbe"] = http_probe("/api/local_raylet_healthz", RAY_DASHBOARD_AGENT_PORT, 5, 10)
    return {
        "rayStartParams": {"num-cpus": "0", "dashboard-host": "0.0.0.0"},
        "template": _pod(scoring, container, service_account_token=True),
    }


def _workers(scoring: ScoringSlice) -> dict[str, Any]:
    ports = [
        _port(SERVE_PORT_NAME, SERVE_PORT),
        _port(METRICS_PORT_NAME, RAY_METRICS_PORT),
        _port("dashboard-agent", RAY_DASHBOARD_AGENT_PORT),
    ]
    container = _container(scoring, WORKER_CONTAINER, scoring.platform.scoring.worker, ports)
    container["livenessProbe"] = http_probe(
        "/api/local_raylet_healthz", RAY_DASHBOARD_AGENT_PORT, 5, 120, delay=30
    )
    container["readinessProbe"] = http_probe("/-/healthz", SERVE_PORT, 5, 10)
    container["volumeMounts"].append({"name": SPOOL_VOLUME, "mountPath": SPOOL_DIR})
    template = _pod(scoring, container, service_account_token=False)
    template["spec"]["volumes"].append({"name": SPOOL_VOLUME, "emptyDir": {}})
    scaling = scoring.serving.autoscaling
    return {
        "groupName": WORKER_GROUP,
        "replicas": scaling.min_replicas,
        "minReplicas": scaling.min_replicas,
        "maxReplicas": scaling.max_replicas,
        "rayStartParams": {},
        "template": template,
    }


def _autoscaler(pods: ScoringPlatform) -> dict[str, Any]:
    return {
        "upscalingMode": "Default",
        "imagePullPolicy": PULL_POLICY,
        "idleTimeoutSeconds": int(pods.idle_timeout.seconds),
        "resources": requirements(pods.autoscaler),
        "securityContext": container_security(),
    }


def ray_service(scoring: ScoringSlice) -> dict[str, Any]:
    """The RayService: Serve config from serving.serve_config, the cluster sized by vigie:platform.scoring."""
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayService",
        "metadata": {
            "name": RAY_SERVICE,
            "namespace": scoring.serving.namespace,
            "labels": common_labels(scoring.stack_name, COMPONENT),
        },
        "spec": {
            "serveConfigV2": to_yaml(serve_document(scoring.serving, scoring.model, scoring.alerts)),
            "excludeHeadPodFromServeSvc": True,
            "rayClusterConfig": {
                "rayVersion": scoring.platform.ray_version,
                "enableInTreeAutoscaling": True,
                "autoscalerOptions": _autoscaler(scoring.platform.scoring),
                "headGroupSpec": _head(scoring),
                "workerGroupSpecs": [_workers(scoring)],
            },
        },
    }


def pod_monitor_job(namespace: str) -> str:
    """The `job` label prometheus-operator gives the series of a PodMonitor: `<namespace>/<PodMonitor name>`."""
    return f"{namespace}/{RAY_SERVICE}"


def ray_pod_monitor(scoring: ScoringSlice) -> dict[str, Any]:
    """Ray's metrics (Serve's, the node's and the scoring app's) on every pod of the cluster, each series labelled
    with its pod's node type, so a reader can tell the head (no replica) from the workers."""
    namespace = scoring.serving.namespace
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": {
            "name": RAY_SERVICE,
            "namespace": namespace,
            "labels": monitored_labels(scoring.stack_name, COMPONENT),
        },
        "spec": {
            "selector": {"matchLabels": pod_selector(COMPONENT)},
            "namespaceSelector": {"matchNames": [namespace]},
            "podTargetLabels": [NODE_TYPE_LABEL],
            "podMetricsEndpoints": [{"port": METRICS_PORT_NAME, "path": "/metrics"}],
        },
    }

"""The Pushgateway the drift job pushes to, kept on a volume, and the ServiceMonitor that scrapes it.

The drift job pushes with job=contract.DRIFT_PUSH_JOB and its stack as grouping labels; honorLabels keeps
those labels instead of the scrape's own job and instance, which the drift rules and dashboards select on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra.labels import common_labels
from infra.manifests.names import PUSHGATEWAY, PUSHGATEWAY_PORT
from infra.manifests.pods import PULL_POLICY, http_probe, requirements
from infra.manifests.security import NOBODY, container_security, pod_security
from infra.manifests.selectors import monitored_labels, pod_selector
from infra.settings.model import PushgatewayPlatform

COMPONENT = "pushgateway"
PORT_NAME = "http"
DATA_DIR = "/data"
PERSISTENCE_FILE = f"{DATA_DIR}/metrics"


@dataclass(frozen=True)
class PushgatewaySlice:
    """What the Pushgateway's objects read: its stack, the monitoring namespace it runs in, its sizes, its image."""

    stack_name: str
    namespace: str
    settings: PushgatewayPlatform
    image: str


def _metadata(gateway: PushgatewaySlice, labels: dict[str, str]) -> dict[str, Any]:
    return {"name": PUSHGATEWAY, "namespace": gateway.namespace, "labels": labels}


def pushgateway_claim(gateway: PushgatewaySlice) -> dict[str, Any]:
    settings = gateway.settings
    spec: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": settings.storage_size}},
    }
    if settings.storage_class:
        spec["storageClassName"] = settings.storage_class
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": _metadata(gateway, common_labels(gateway.stack_name, COMPONENT)),
        "spec": spec,
    }


def _container(gateway: PushgatewaySlice) -> dict[str, Any]:
    return {
        "name": "pushgateway",
        "image": gateway.image,
        "imagePullPolicy": PULL_POLICY,
        "args": [
            f"--web.listen-address=:{PUSHGATEWAY_PORT}",
            f"--persistence.file={PERSISTENCE_FILE}",
            "--persistence.interval=1m",
        ],
        "ports": [{"name": PORT_NAME, "containerPort": PUSHGATEWAY_PORT, "protocol": "TCP"}],
        "livenessProbe": http_probe("/-/healthy", PUSHGATEWAY_PORT, 10, 3),
        "readinessProbe": http_probe("/-/ready", PUSHGATEWAY_PORT, 5, 3),
        "resources": requirements(gateway.settings.resources),
        "securityContext": container_security(),
        "volumeMounts": [{"name": "data", "mountPath": DATA_DIR}],
    }


def pushgateway_deployment(gateway: PushgatewaySlice) -> dict[str, Any]:
    """One replica, recreated rather than rolled: two would split the pushes and share one volume."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(gateway, common_labels(gateway.stack_name, COMPONENT)),
        "spec": {
            "replicas": 1,
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": pod_selector(COMPONENT)},
            "template": {
                "metadata": {"labels": common_labels(gateway.stack_name, COMPONENT)},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": pod_security(NOBODY, NOBODY),
                    "containers": [_container(gateway)],
                    "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": PUSHGATEWAY}}],
                },
            },
        },
    }


def pushgateway_service(gateway: PushgatewaySlice) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(gateway, common_labels(gateway.stack_name, COMPONENT)),
        "spec": {
            "type": "ClusterIP",
            "selector": pod_selector(COMPONENT),
            "ports": [
                {"name": PORT_NAME, "port": PUSHGATEWAY_PORT, "targetPort": PORT_NAME, "protocol": "TCP"}
            ],
        },
    }


TARGET_LABELS = "namespace|pod|container|endpoint|instance"
"""The labels the operator gives every series of the Pushgateway's pod: about that pod, not about the job that
pushed. Dropped, so a drift alert's labels are the same whichever pod serves it, and the same as the drift DAG's
(which cannot know the pod)."""


def pushgateway_service_monitor(gateway: PushgatewaySlice) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": _metadata(gateway, monitored_labels(gateway.stack_name, COMPONENT)),
        "spec": {
            "selector": {"matchLabels": pod_selector(COMPONENT)},
            "namespaceSelector": {"matchNames": [gateway.namespace]},
            "endpoints": [
                {
                    "port": PORT_NAME,
                    "path": "/metrics",
                    "honorLabels": True,
                    "metricRelabelings": [{"action": "labeldrop", "regex": TARGET_LABELS}],
                }
            ],
        },
    }

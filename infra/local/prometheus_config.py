"""Prometheus's configuration for the local stack: the stack's own rule file, and scrape jobs that give local
series the labels Kubernetes would, so the generated rules select them as is.

On Kubernetes the PodMonitor `ray_pod_monitor` scrapes every pod of the RayService, and prometheus-operator
labels each series with `namespace`, `pod`, `container`, `endpoint` (the port's name), the pod's
`ray.io/node-type` (as `ray_io_node_type`, from podTargetLabels) and `job` = `<namespace>/<PodMonitor name>`
(pkg/prometheus/promcfg.go, generatePodMonitorConfig). Here one static target per Ray node carries the same
labels, with pod names shaped like KubeRay's (`<cluster>-head-<id>`, `<cluster>-<group>-worker-<id>`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conventions import contract as c
from infra.local.process import LOOPBACK
from infra.manifests.names import RAY_SERVICE
from infra.manifests.scoring import (
    HEAD_CONTAINER,
    METRICS_PORT_NAME,
    WORKER_CONTAINER,
    WORKER_GROUP,
    pod_monitor_job,
)
from rules_src.stack import Stack

PUSHGATEWAY_JOB = "pushgateway"
LOCAL_CLUSTER = f"{RAY_SERVICE}-raycluster-local"
"""The RayCluster a RayService creates is `<RayService>-raycluster-<5 random characters>`; locally, `local`."""
HEAD_POD = f"{LOCAL_CLUSTER}-head-0"
WORKER_POD = f"{LOCAL_CLUSTER}-{WORKER_GROUP}-worker-0"


@dataclass(frozen=True)
class RayPorts:
    """The metrics export port of each local Ray node."""

    head: int
    worker: int


def ray_node_labels(namespace: str) -> dict[str, dict[str, str]]:
    """By node type, the labels the PodMonitor gives the series of that node's pod (`job` aside)."""
    pods = {c.HEAD_NODE: (HEAD_POD, HEAD_CONTAINER), c.WORKER_NODE: (WORKER_POD, WORKER_CONTAINER)}
    return {
        node_type: {c.NAMESPACE: namespace, c.POD: pod, c.CONTAINER: container,
                    c.ENDPOINT: METRICS_PORT_NAME, c.NODE_TYPE_POD_LABEL: node_type}
        for node_type, (pod, container) in pods.items()
    }  # fmt: skip


def _ray_scrape(namespace: str, ports: RayPorts) -> dict[str, Any]:
    """One job named as prometheus-operator names the PodMonitor's `job` label, one target per node."""
    labels = ray_node_labels(namespace)
    port = {c.HEAD_NODE: ports.head, c.WORKER_NODE: ports.worker}
    return {
        "job_name": pod_monitor_job(namespace),
        "static_configs": [
            {"targets": [f"{LOOPBACK}:{port[node_type]}"], "labels": labels[node_type]}
            for node_type in (c.HEAD_NODE, c.WORKER_NODE)
        ],
    }


def prometheus_config(
    stack: Stack, rules: Path, ray_ports: RayPorts, pushgateway_port: int, alertmanager_targets: Path
) -> dict[str, Any]:
    """Alerts go to every Alertmanager listed in `alertmanager_targets` (a file_sd file, written by
    infra.local.alertmanager_targets), as the operator points each Prometheus at the endpoints of the
    Alertmanager Service: a cluster deduplicates what they all receive, and any one of them can notify."""
    monitoring = stack.settings.monitoring
    return {
        "global": {
            "scrape_interval": str(monitoring.scrape_interval),
            "evaluation_interval": str(monitoring.evaluation_interval),
            "external_labels": {c.STACK: stack.name},
        },
        "rule_files": [str(rules)],
        "alerting": {"alertmanagers": [{"file_sd_configs": [{"files": [str(alertmanager_targets)]}]}]},
        "scrape_configs": [
            _ray_scrape(stack.settings.serving.namespace, ray_ports),
            {
                "job_name": PUSHGATEWAY_JOB,
                "honor_labels": True,
                "static_configs": [{"targets": [f"{LOOPBACK}:{pushgateway_port}"]}],
            },
        ],
    }

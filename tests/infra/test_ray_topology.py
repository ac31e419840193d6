"""The Ray cluster as Prometheus sees it, the same on Kubernetes and on the local stack: the PodMonitor labels
every series with its pod's node type, the local scrape configs give each local node the labels the PodMonitor
gives its pod, and the CPU scenario labels its pods that way too."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from conventions import contract as c
from conventions.promql import Scope
from infra.local.prometheus_config import RayPorts, prometheus_config
from infra.manifests.scoring import NODE_TYPE_LABEL
from rules_src.alerts.cpu import CPU_USAGE
from rules_src.stack import load_stack
from tests.conftest import PROJECT_DIR
from tests.infra.pulumi_run import Deployment

KUBERAY_POD = re.compile(r"^vigie-scoring-raycluster-[a-z0-9]+-(head|scoring-worker)-[a-z0-9]+$")
"""KubeRay's pod names: `<RayService>-raycluster-<id>-head-<id>` and `<cluster>-<group>-worker-<id>`."""


def _sanitised(label: str) -> str:
    """A pod label as prometheus-operator turns it into a series label (promcfg.go, sanitizeLabelName)."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", label)


def _pod_monitor_labels(deployment: Deployment) -> dict[str, dict[str, str]]:
    """By node type, what prometheus-operator puts on the series of each RayService pod (the pod name aside)."""
    (monitor,) = deployment.manifests("PodMonitor")
    (ray_service,) = deployment.manifests("RayService")
    cluster = ray_service["spec"]["rayClusterConfig"]
    groups = {c.HEAD_NODE: cluster["headGroupSpec"], c.WORKER_NODE: cluster["workerGroupSpecs"][0]}
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    kuberay_pod_labels = {NODE_TYPE_LABEL}  # KubeRay sets ray.io/node-type to head or worker on every pod
    return {
        node_type: {
            c.NAMESPACE: monitor["metadata"]["namespace"],
            c.JOB: f"{monitor['metadata']['namespace']}/{monitor['metadata']['name']}",
            c.CONTAINER: group["template"]["spec"]["containers"][0]["name"],
            c.ENDPOINT: endpoint["port"],
            **{_sanitised(label): node_type for label in monitor["spec"]["podTargetLabels"]
               if label in kuberay_pod_labels},
        }
        for node_type, group in groups.items()
    }  # fmt: skip


def _local_targets(stack_name: str) -> dict[str, dict[str, str]]:
    """By node type, the labels a local Ray node's series get (the job's name becomes their `job`)."""
    stack = load_stack(PROJECT_DIR, stack_name)
    config = prometheus_config(stack, Path("rules.yaml"), RayPorts(18080, 18081), 19091, Path("am.json"))
    ray_jobs = [j for j in config["scrape_configs"] if "/" in j["job_name"]]
    (job,) = ray_jobs
    return {
        target["labels"][c.NODE_TYPE_POD_LABEL]: {**target["labels"], c.JOB: job["job_name"]}
        for target in job["static_configs"]
    }


def test_the_pod_monitor_attaches_kuberays_node_type_label(deployment: Deployment) -> None:
    (monitor,) = deployment.manifests("PodMonitor")
    assert monitor["spec"]["podTargetLabels"] == ["ray.io/node-type"]
    assert _sanitised(NODE_TYPE_LABEL) == c.NODE_TYPE_POD_LABEL


def test_local_ray_nodes_get_the_labels_the_pod_monitor_gives_their_pods(deployment: Deployment) -> None:
    local = _local_targets(deployment.stack)
    assert {t: {k: v for k, v in labels.items() if k != c.POD} for t, labels in local.items()} == (
        _pod_monitor_labels(deployment)
    )
    pods = {node_type: labels[c.POD] for node_type, labels in local.items()}
    assert all(KUBERAY_POD.match(pod) for pod in pods.values()), pods
    assert pods[c.HEAD_NODE].rsplit("-", 2)[1] == "head"
    assert pods[c.WORKER_NODE].rsplit("-", 2)[1] == "worker"


def test_the_local_scrape_targets_each_nodes_own_metrics_port(deployment: Deployment) -> None:
    stack = load_stack(PROJECT_DIR, deployment.stack)
    config = prometheus_config(stack, Path("rules.yaml"), RayPorts(18080, 18081), 19091, Path("am.json"))
    (job,) = [j for j in config["scrape_configs"] if "/" in j["job_name"]]
    targets = {t["labels"][c.NODE_TYPE_POD_LABEL]: t["targets"] for t in job["static_configs"]}
    assert targets == {c.HEAD_NODE: ["127.0.0.1:18080"], c.WORKER_NODE: ["127.0.0.1:18081"]}


def _scenario_pods(breach: bool, namespace: str) -> list[dict[str, Any]]:
    scenario = CPU_USAGE.scenario(Scope(namespace, "scoring", "prod"), CPU_USAGE.threshold, breach)
    assert scenario is not None
    return [dict(series.labels) for series in scenario.series]


def test_the_cpu_scenario_labels_its_pods_as_the_pod_monitor_does(deployment: Deployment) -> None:
    expected = _pod_monitor_labels(deployment)
    namespace = expected[c.HEAD_NODE][c.NAMESPACE]
    for breach in (True, False):
        pods = _scenario_pods(breach, namespace)
        assert sorted(p[c.RAY_NODE_TYPE] for p in pods) == [c.HEAD_NODE, c.WORKER_NODE, c.WORKER_NODE]
        for pod in pods:
            node_type = pod[c.RAY_NODE_TYPE]
            assert {k: pod[k] for k in expected[node_type]} == expected[node_type]
            assert KUBERAY_POD.match(pod[c.POD]) and pod[c.POD].rsplit("-", 2)[1] == node_type

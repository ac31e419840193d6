"""Who may reach Vigie's pods: the scoring service only from its ingress controller and Prometheus (and
KubeRay, which drives it, and its own pods, which form the Ray cluster); the Pushgateway only from the drift
job and Prometheus; the drift job and the business report from nobody."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra.labels import common_labels
from infra.manifests.kuberay_values import OPERATOR_POD_LABELS
from infra.manifests.names import PUSHGATEWAY_PORT, RAY_DASHBOARD_PORT, RAY_METRICS_PORT, SERVE_PORT
from infra.manifests.selectors import NAMESPACE_NAME_LABEL, PROMETHEUS_POD_LABELS, pod_selector
from infra.settings.model import Platform


@dataclass(frozen=True)
class PolicySlice:
    """What every policy reads: its stack, and the two namespaces policies live in and let peers in from."""

    stack_name: str
    monitoring_namespace: str
    scoring_namespace: str


def _peer(namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    """Pods with `labels` in the namespace named `namespace`."""
    return {
        "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: namespace}},
        "podSelector": {"matchLabels": dict(labels)},
    }


def _tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": port} for port in ports]


def _policy(stack_name: str, namespace: str, component: str, ingress: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": f"vigie-{component}",
            "namespace": namespace,
            "labels": common_labels(stack_name, component),
        },
        "spec": {
            "podSelector": {"matchLabels": pod_selector(component)},
            "policyTypes": ["Ingress"],
            "ingress": ingress,
        },
    }


def prometheus_peer(monitoring_namespace: str) -> dict[str, Any]:
    return _peer(monitoring_namespace, PROMETHEUS_POD_LABELS)


def scoring_policy(where: PolicySlice, platform: Platform) -> dict[str, Any]:
    """`platform` names the scoring service's other peers: its ingress controller and the KubeRay operator."""
    ingress = platform.scoring.ingress
    rules = [
        {"from": [{"podSelector": {"matchLabels": pod_selector("scoring")}}]},
        {"from": [_peer(ingress.namespace, ingress.pod_labels)], "ports": _tcp(SERVE_PORT)},
        {"from": [prometheus_peer(where.monitoring_namespace)], "ports": _tcp(RAY_METRICS_PORT)},
        {"from": [_peer(platform.kuberay_namespace, OPERATOR_POD_LABELS)], "ports": _tcp(RAY_DASHBOARD_PORT)},
    ]
    return _policy(where.stack_name, where.scoring_namespace, "scoring", rules)


def pushgateway_policy(where: PolicySlice, airflow_namespace: str | None = None) -> dict[str, Any]:
    """The drift pods push, Prometheus scrapes; with the Airflow scheduler, Airflow's workers push too (the
    drift DAG's failure callback)."""
    peers = [
        _peer(where.scoring_namespace, pod_selector("drift")),
        prometheus_peer(where.monitoring_namespace),
    ]
    if airflow_namespace is not None:
        peers.append({"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: airflow_namespace}}})
    rules = [{"from": peers, "ports": _tcp(PUSHGATEWAY_PORT)}]
    return _policy(where.stack_name, where.monitoring_namespace, "pushgateway", rules)


def drift_policy(where: PolicySlice) -> dict[str, Any]:
    """No ingress rule: nothing may connect to a drift pod."""
    return _policy(where.stack_name, where.scoring_namespace, "drift", [])


def report_policy(where: PolicySlice) -> dict[str, Any]:
    """No ingress rule: nothing may connect to a report pod (its egress, to Prometheus and SMTP, is open, as
    every Vigie pod's is)."""
    return _policy(where.stack_name, where.monitoring_namespace, "report", [])

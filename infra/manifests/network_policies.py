"""Who may reach Vigie's pods: the scoring service only from its ingress controller and Prometheus (and
KubeRay, which drives it, and its own pods, which form the Ray cluster); the Pushgateway only from the drift
job and Prometheus; the drift job from nobody."""

from __future__ import annotations

from typing import Any

from infra.labels import common_labels
from infra.manifests.kuberay_values import OPERATOR_POD_LABELS
from infra.manifests.names import PUSHGATEWAY_PORT, RAY_DASHBOARD_PORT, RAY_METRICS_PORT, SERVE_PORT
from infra.manifests.selectors import NAMESPACE_NAME_LABEL, PROMETHEUS_POD_LABELS, pod_selector
from rules_src.stack import Stack


def _peer(namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    """Pods with `labels` in the namespace named `namespace`."""
    return {
        "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: namespace}},
        "podSelector": {"matchLabels": dict(labels)},
    }


def _tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": port} for port in ports]


def _policy(stack: Stack, namespace: str, component: str, ingress: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": f"vigie-{component}",
            "namespace": namespace,
            "labels": common_labels(stack.name, component),
        },
        "spec": {
            "podSelector": {"matchLabels": pod_selector(component)},
            "policyTypes": ["Ingress"],
            "ingress": ingress,
        },
    }


def prometheus_peer(stack: Stack) -> dict[str, Any]:
    return _peer(stack.settings.monitoring.namespace, PROMETHEUS_POD_LABELS)


def scoring_policy(stack: Stack) -> dict[str, Any]:
    platform = stack.settings.platform
    ingress = platform.scoring.ingress
    rules = [
        {"from": [{"podSelector": {"matchLabels": pod_selector("scoring")}}]},
        {"from": [_peer(ingress.namespace, ingress.pod_labels)], "ports": _tcp(SERVE_PORT)},
        {"from": [prometheus_peer(stack)], "ports": _tcp(RAY_METRICS_PORT)},
        {"from": [_peer(platform.kuberay_namespace, OPERATOR_POD_LABELS)], "ports": _tcp(RAY_DASHBOARD_PORT)},
    ]
    return _policy(stack, stack.settings.serving.namespace, "scoring", rules)


def pushgateway_policy(stack: Stack) -> dict[str, Any]:
    drift = _peer(stack.settings.serving.namespace, pod_selector("drift"))
    rules = [{"from": [drift, prometheus_peer(stack)], "ports": _tcp(PUSHGATEWAY_PORT)}]
    return _policy(stack, stack.settings.monitoring.namespace, "pushgateway", rules)


def drift_policy(stack: Stack) -> dict[str, Any]:
    """No ingress rule: nothing may connect to a drift pod."""
    return _policy(stack, stack.settings.serving.namespace, "drift", [])

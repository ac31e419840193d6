"""The labels Prometheus and the Grafana sidecar select on, and the pod labels network policies select on.

kube-prometheus-stack's own rules and monitors carry `release: <release>`; Prometheus is told to select
exactly that label, in namespaces labelled part-of=vigie, so Vigie's objects carry it too.
"""

from __future__ import annotations

from typing import Any

from infra.labels import PART_OF, PART_OF_LABEL, common_labels
from infra.manifests.names import MONITORING_RELEASE

RELEASE_LABEL = "release"
PROMETHEUS_SELECTED = {RELEASE_LABEL: MONITORING_RELEASE}
"""What a PrometheusRule, ServiceMonitor or PodMonitor must carry to be loaded by Vigie's Prometheus."""
DASHBOARD_LABEL = "grafana_dashboard"
DASHBOARD_LABEL_VALUE = "1"
FOLDER_ANNOTATION = "grafana_folder"
COMPONENT_LABEL = "app.kubernetes.io/component"
NAME_LABEL = "app.kubernetes.io/name"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
"""Set by Kubernetes on every namespace: how a network policy names one."""

PROMETHEUS_POD_LABELS = {COMPONENT_LABEL: "prometheus", PART_OF_LABEL: PART_OF}
"""Added to Prometheus's pods (prometheusSpec.podMetadata) so network policies can let it scrape."""


def monitored_labels(stack: str, component: str) -> dict[str, str]:
    """Labels of a rule or monitor object: Vigie's own and the one Prometheus selects."""
    return {**common_labels(stack, component), **PROMETHEUS_SELECTED}


def pod_selector(component: str) -> dict[str, str]:
    """The stable subset of common_labels that Deployments, monitors and policies select a workload by."""
    return {NAME_LABEL: f"vigie-{component}", PART_OF_LABEL: PART_OF}


def vigie_namespaces() -> dict[str, Any]:
    """The namespaces Prometheus reads rules and monitors from: those Vigie creates."""
    return {"matchLabels": {PART_OF_LABEL: PART_OF}}


def prometheus_selector() -> dict[str, Any]:
    return {"matchLabels": dict(PROMETHEUS_SELECTED)}

"""The namespaces Vigie creates, each labelled for Prometheus's selectors and with a Pod Security level."""

from __future__ import annotations

from typing import Any

from infra.labels import common_labels
from infra.settings.model import Monitoring, Platform, Serving

RESTRICTED = "restricted"
PRIVILEGED = "privileged"
"""kube-prometheus-stack's node exporter needs the host's network, PIDs and filesystem."""


def namespace(stack_name: str, name: str, component: str, level: str) -> dict[str, Any]:
    """A Namespace enforcing `level`, and warning and auditing against `restricted` in every case."""
    labels = {
        **common_labels(stack_name, component),
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/warn": RESTRICTED,
        "pod-security.kubernetes.io/audit": RESTRICTED,
    }
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def monitoring_namespace(stack_name: str, monitoring: Monitoring) -> dict[str, Any]:
    return namespace(stack_name, monitoring.namespace, "monitoring", PRIVILEGED)


def scoring_namespace(stack_name: str, serving: Serving) -> dict[str, Any]:
    """The RayService, its data volume and the drift job."""
    return namespace(stack_name, serving.namespace, "scoring", RESTRICTED)


def kuberay_namespace(stack_name: str, platform: Platform) -> dict[str, Any]:
    return namespace(stack_name, platform.kuberay_namespace, "kuberay", RESTRICTED)

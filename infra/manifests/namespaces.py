"""The namespaces Vigie creates, each labelled for Prometheus's selectors and with a Pod Security level."""

from __future__ import annotations

from typing import Any

from infra.labels import common_labels
from rules_src.stack import Stack

RESTRICTED = "restricted"
PRIVILEGED = "privileged"
"""kube-prometheus-stack's node exporter needs the host's network, PIDs and filesystem."""


def namespace(stack: Stack, name: str, component: str, level: str) -> dict[str, Any]:
    """A Namespace enforcing `level`, and warning and auditing against `restricted` in every case."""
    labels = {
        **common_labels(stack.name, component),
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/warn": RESTRICTED,
        "pod-security.kubernetes.io/audit": RESTRICTED,
    }
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def monitoring_namespace(stack: Stack) -> dict[str, Any]:
    return namespace(stack, stack.settings.monitoring.namespace, "monitoring", PRIVILEGED)


def scoring_namespace(stack: Stack) -> dict[str, Any]:
    """The RayService, its data volume and the drift job."""
    return namespace(stack, stack.settings.serving.namespace, "scoring", RESTRICTED)


def kuberay_namespace(stack: Stack) -> dict[str, Any]:
    return namespace(stack, stack.settings.platform.kuberay_namespace, "kuberay", RESTRICTED)

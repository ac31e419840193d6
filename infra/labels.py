"""Kubernetes labels every object Vigie defines carries; Prometheus and Grafana select on these."""

from __future__ import annotations

PART_OF_LABEL = "app.kubernetes.io/part-of"
PART_OF = "vigie"
STACK_LABEL = "vigie.io/stack"


def common_labels(stack: str, component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/managed-by": "pulumi",
        "app.kubernetes.io/name": f"vigie-{component}",
        PART_OF_LABEL: PART_OF,
        STACK_LABEL: stack,
    }

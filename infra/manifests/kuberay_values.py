"""kuberay-operator's values: watch only the scoring namespace, with namespaced RBAC, sized and non-root."""

from __future__ import annotations

from infra.labels import PART_OF, PART_OF_LABEL, STACK_LABEL
from infra.manifests.helm import HelmRelease
from infra.manifests.names import KUBERAY_RELEASE
from infra.manifests.pods import requirements
from infra.settings.model import Platform

OPERATOR_POD_LABELS = {PART_OF_LABEL: PART_OF}
"""Added to the operator's pods (chart value `labels`) so the scoring network policy can let it in."""


def kuberay_operator(stack_name: str, platform: Platform, scoring_namespace: str) -> HelmRelease:
    """The operator runs in platform.kuberayNamespace and manages RayServices in `scoring_namespace` only."""
    values = {
        "labels": {**OPERATOR_POD_LABELS, STACK_LABEL: stack_name},
        "singleNamespaceInstall": True,
        "watchNamespace": [scoring_namespace],
        "resources": requirements(platform.kuberay_operator),
        "podSecurityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
    }
    return HelmRelease(
        KUBERAY_RELEASE,
        platform.kuberay_namespace,
        "kuberay-operator",
        platform.chart_versions.kuberay_operator,
        str(platform.chart_repositories.kuberay_operator),
        values,
    )

"""kuberay-operator's values: watch only the scoring namespace, with namespaced RBAC, sized and non-root."""

from __future__ import annotations

from infra.labels import PART_OF, PART_OF_LABEL, STACK_LABEL
from infra.manifests.helm import HelmRelease
from infra.manifests.names import KUBERAY_RELEASE
from infra.manifests.pods import requirements
from rules_src.stack import Stack

OPERATOR_POD_LABELS = {PART_OF_LABEL: PART_OF}
"""Added to the operator's pods (chart value `labels`) so the scoring network policy can let it in."""


def kuberay_operator(stack: Stack) -> HelmRelease:
    platform = stack.settings.platform
    values = {
        "labels": {**OPERATOR_POD_LABELS, STACK_LABEL: stack.name},
        "singleNamespaceInstall": True,
        "watchNamespace": [stack.settings.serving.namespace],
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

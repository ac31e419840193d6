"""How Prometheus and the Grafana sidecar pick objects, as kube-prometheus-stack configures them from values.

The chart turns each `<kind>Selector` into the Prometheus resource's selector: the value when it is not
empty, else `release: <release name>` when `<kind>SelectorNilUsesHelmValues` is true, else everything. A
namespace selector that is empty selects every namespace. Helm merges the values given onto the defaults.
"""

from __future__ import annotations

from typing import Any


def merged(defaults: Any, given: Any) -> Any:
    """Helm's merge of user values onto chart defaults: maps merge key by key, anything else is replaced."""
    if isinstance(defaults, dict) and isinstance(given, dict):
        return {**defaults, **{k: merged(defaults.get(k), v) for k, v in given.items()}}
    return given


def matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A Kubernetes label selector (matchLabels and matchExpressions) against a label set."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[operator]
        if not ok:
            return False
    return True


def prometheus_selectors(
    values: dict[str, Any], release: str, kind: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(object selector, namespace selector) of the Prometheus resource for `kind` (rule, serviceMonitor, …)."""
    spec = values["prometheus"]["prometheusSpec"]
    selector = spec[f"{kind}Selector"]
    if not selector:
        selector = {"matchLabels": {"release": release}} if spec[f"{kind}SelectorNilUsesHelmValues"] else {}
    return selector, spec[f"{kind}NamespaceSelector"] or {}


def namespace_labels(namespace: dict[str, Any]) -> dict[str, str]:
    """A Namespace's labels as the cluster has them (Kubernetes adds its name)."""
    name = namespace["metadata"]["name"]
    return {**namespace["metadata"].get("labels", {}), "kubernetes.io/metadata.name": name}


def sidecar_searches(search_namespace: str | None, own: str, namespace: str) -> bool:
    """Whether the Grafana sidecar's searchNamespace (ALL, a comma list, or unset: its own) covers `namespace`."""
    if search_namespace == "ALL":
        return True
    return namespace in (search_namespace.split(",") if search_namespace else [own])

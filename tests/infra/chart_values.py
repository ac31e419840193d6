"""Checking the Helm values Vigie passes against the chart's own default values, so a misspelt key fails.

A key must exist in the chart's values.yaml with a value of the same type; the walk descends into mappings
the chart defines. Some keys are free-form or typed by something other than the defaults: they are listed in
ALLOWED with the JSON schema their value must meet instead (a Kubernetes type where there is one).
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

import jsonschema

from tests.infra.k8s_schemas import definition_validator, problems

STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}


def _k8s(name: str) -> jsonschema.Draft202012Validator:
    return definition_validator(f"io.k8s.{name}")


def _plain(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema)


ALLOWED: dict[str, dict[str, jsonschema.Draft202012Validator]] = {
    "kube-prometheus-stack": {
        # Alertmanager's own configuration file; amtool checks it (`vigie check`).
        "alertmanager.config": _plain({"type": "object", "required": ["route", "receivers"]}),
        # Resource requirements, empty in the defaults.
        "alertmanager.alertmanagerSpec.resources": _k8s("api.core.v1.ResourceRequirements"),
        "prometheus.prometheusSpec.resources": _k8s("api.core.v1.ResourceRequirements"),
        "grafana.resources": _k8s("api.core.v1.ResourceRequirements"),
        # Rule, ServiceMonitor and PodMonitor selectors and their namespace selectors, empty in the defaults.
        "prometheus.prometheusSpec.*Selector": _k8s("apimachinery.pkg.apis.meta.v1.LabelSelector"),
        "prometheus.prometheusSpec.podMetadata": _k8s("apimachinery.pkg.apis.meta.v1.ObjectMeta"),
        "prometheus.prometheusSpec.storageSpec.volumeClaimTemplate": _k8s(
            "api.core.v1.PersistentVolumeClaim"
        ),
        # Alert names of the chart's rules to turn off.
        "defaultRules.disabled": _plain({"type": "object", "additionalProperties": {"const": True}}),
        # Keys of the grafana subchart, whose values.yaml is not in the reference data
        # (grafana/helm-charts charts/grafana/values.yaml: sidecar.dashboards.*).
        "grafana.sidecar.dashboards.folderAnnotation": _plain({"type": "string", "minLength": 1}),
        "grafana.sidecar.dashboards.provider.foldersFromFilesStructure": _plain({"type": "boolean"}),
    },
    "kuberay-operator": {
        "labels": _plain(STRING_MAP),
        "resources": _k8s("api.core.v1.ResourceRequirements"),
        "podSecurityContext": _k8s("api.core.v1.PodSecurityContext"),
        # Documented in the chart's values.yaml, commented out.
        "watchNamespace": _plain({"type": "array", "items": {"type": "string"}, "minItems": 1}),
    },
}


def _allowed(chart: str, path: str) -> str | None:
    parts = path.split(".")
    for pattern in ALLOWED.get(chart, {}):
        pattern_parts = pattern.split(".")
        if len(pattern_parts) == len(parts) and all(map(fnmatchcase, parts, pattern_parts)):
            return pattern
    return None


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def values_problems(
    chart: str, values: dict[str, Any], defaults: dict[str, Any]
) -> tuple[list[str], set[str]]:
    """Problems, one per line naming the key path; and the ALLOWED patterns that were used."""
    found: list[str] = []
    used: set[str] = set()

    def walk(given: dict[str, Any], known: dict[str, Any], prefix: str) -> None:
        for key, value in given.items():
            path = f"{prefix}{key}"
            pattern = _allowed(chart, path)
            if pattern is not None:
                used.add(pattern)
                found.extend(problems(ALLOWED[chart][pattern], value, path))
            elif key not in known:
                found.append(
                    f"{path}: not a key of {chart}'s values (misspelt, or missing from the allow-list?)"
                )
            elif known[key] is None:
                continue
            elif _kind(value) != _kind(known[key]):
                found.append(f"{path}: {_kind(value)} given where the chart has a {_kind(known[key])}")
            elif isinstance(value, dict):
                walk(value, known[key], f"{path}.")

    walk(values, defaults, "")
    return found, used

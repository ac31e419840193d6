"""The official schemas and chart defaults the tests validate against, read in place from ../shared/reference.

VIGIE_REFERENCE_DIR overrides the location. A missing file fails the test with the path it looked for: these
checks are part of the deliverable, never skipped.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import PROJECT_DIR

REFERENCE_ENV = "VIGIE_REFERENCE_DIR"
CRD_FILES = {
    ("monitoring.coreos.com/v1", "PrometheusRule"): "monitoring.coreos.com_prometheusrules.yaml",
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "monitoring.coreos.com_servicemonitors.yaml",
    ("monitoring.coreos.com/v1", "PodMonitor"): "monitoring.coreos.com_podmonitors.yaml",
    ("ray.io/v1", "RayService"): "ray.io_rayservices.yaml",
}
CHART_VALUES = {
    ("kube-prometheus-stack", "88.5.3"): "kube-prometheus-stack-88.5.3.values.yaml",
    ("kuberay-operator", "1.7.0"): "kuberay-operator-1.7.0.values.yaml",
}


def reference_dir() -> Path:
    return Path(os.environ.get(REFERENCE_ENV) or PROJECT_DIR.parent / "shared" / "reference")


def reference_file(*parts: str) -> Path:
    path = reference_dir().joinpath(*parts)
    if not path.is_file():
        pytest.fail(
            f"reference file {path} is missing: put the shared reference data beside the project "
            f"(../shared/reference) or point {REFERENCE_ENV} at it",
            pytrace=False,
        )
    return path


@cache
def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def crd_schema(api_version: str, kind: str) -> dict[str, Any]:
    """The CRD's OpenAPI v3 schema for the served version, strict: unknown fields are errors, as a misspelt
    field would otherwise be pruned silently by the API server."""
    file_name = CRD_FILES.get((api_version, kind))
    if file_name is None:
        pytest.fail(f"no reference CRD for {api_version} {kind}", pytrace=False)
    crd = _load(reference_file("crds", file_name))
    version = api_version.rsplit("/", 1)[1]
    for entry in crd["spec"]["versions"]:
        if entry["name"] == version and entry.get("served"):
            return _strict(entry["schema"]["openAPIV3Schema"])
    pytest.fail(f"{file_name} serves no version {version}", pytrace=False)


def _strict(node: Any) -> Any:
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    strict = {key: _strict(value) for key, value in node.items()}
    if (
        "properties" in node
        and "additionalProperties" not in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        strict["additionalProperties"] = False
    return strict


def chart_defaults(chart: str, version: str) -> dict[str, Any]:
    file_name = CHART_VALUES.get((chart, version))
    if file_name is None:
        pytest.fail(f"no reference values for chart {chart} {version}", pytrace=False)
    defaults: dict[str, Any] = _load(reference_file("chart-values", file_name))
    return defaults

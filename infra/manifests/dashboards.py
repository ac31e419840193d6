"""One ConfigMap per dashboard, labelled for kube-prometheus-stack's Grafana sidecar and annotated with the
dashboards' folder, in the namespace the sidecar searches."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dashboards_src.frame import GRAFANA_FOLDER
from infra.labels import common_labels
from infra.manifests.selectors import DASHBOARD_LABEL, DASHBOARD_LABEL_VALUE, FOLDER_ANNOTATION
from infra.serialize import to_json

COMPONENT = "dashboards"


def dashboard_config_map(
    stack_name: str, namespace: str, uid: str, dashboard: dict[str, Any]
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"{uid}-dashboard",
            "namespace": namespace,
            "labels": {**common_labels(stack_name, COMPONENT), DASHBOARD_LABEL: DASHBOARD_LABEL_VALUE},
            "annotations": {FOLDER_ANNOTATION: GRAFANA_FOLDER},
        },
        "data": {f"{uid}.json": to_json(dashboard)},
    }


def dashboard_config_maps(
    stack_name: str, namespace: str, built: Mapping[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The ConfigMaps in uid order, each holding the JSON `vigie render` writes to dashboards/<uid>.json
    (`built`: uid → dashboard, as dashboards_src builds them)."""
    return [dashboard_config_map(stack_name, namespace, uid, data) for uid, data in sorted(built.items())]

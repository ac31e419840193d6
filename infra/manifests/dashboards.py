"""One ConfigMap per dashboard, labelled for kube-prometheus-stack's Grafana sidecar and annotated with the
dashboards' folder, in the namespace the sidecar searches."""

from __future__ import annotations

from typing import Any

from dashboards_src.build import dashboards
from dashboards_src.frame import GRAFANA_FOLDER
from infra.labels import common_labels
from infra.manifests.selectors import DASHBOARD_LABEL, DASHBOARD_LABEL_VALUE, FOLDER_ANNOTATION
from infra.serialize import to_json
from rules_src.stack import Stack

COMPONENT = "dashboards"


def dashboard_config_map(stack: Stack, uid: str, dashboard: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"{uid}-dashboard",
            "namespace": stack.settings.monitoring.namespace,
            "labels": {**common_labels(stack.name, COMPONENT), DASHBOARD_LABEL: DASHBOARD_LABEL_VALUE},
            "annotations": {FOLDER_ANNOTATION: GRAFANA_FOLDER},
        },
        "data": {f"{uid}.json": to_json(dashboard)},
    }


def dashboard_config_maps(stack: Stack) -> list[dict[str, Any]]:
    """The ConfigMaps in uid order, each holding the JSON `vigie render` writes to dashboards/<uid>.json."""
    return [dashboard_config_map(stack, uid, data) for uid, data in sorted(dashboards(stack).items())]

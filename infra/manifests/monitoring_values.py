"""kube-prometheus-stack's values: only what Vigie sets, built from the stack's settings.

Prometheus selects rules and monitors by an explicit `release` label in Vigie's namespaces (no implicit
Helm-derived selector); Alertmanager gets the generated routing and mounts the credentials Secret; Grafana's
sidecar loads the dashboard ConfigMaps into their folder, and its admin password comes from a Secret.
"""

from __future__ import annotations

from typing import Any

from infra.manifests.helm import HelmRelease
from infra.manifests.names import ALERTMANAGER_PORT, GRAFANA_ADMIN_SECRET, MONITORING_RELEASE, PROMETHEUS_PORT
from infra.manifests.pods import requirements
from infra.manifests.selectors import (
    DASHBOARD_LABEL,
    DASHBOARD_LABEL_VALUE,
    FOLDER_ANNOTATION,
    PROMETHEUS_POD_LABELS,
    prometheus_selector,
    vigie_namespaces,
)
from rules_src.alertmanager import CREDENTIALS_SECRET, alertmanager_config
from rules_src.stack import Stack

ADMIN_USER_KEY = "admin-user"
ADMIN_PASSWORD_KEY = "admin-password"
CHART_ALERTS_REPLACED = ("Watchdog", "InfoInhibitor")
"""The chart's rules Vigie turns off: its own Watchdog goes to the dead man's switch, and Vigie's routing has
no InfoInhibitor route, so both would otherwise page the default receivers forever."""


def kube_prometheus_stack(stack: Stack) -> HelmRelease:
    platform = stack.settings.platform
    values = {
        "fullnameOverride": MONITORING_RELEASE,
        "defaultRules": {"disabled": dict.fromkeys(CHART_ALERTS_REPLACED, True)},
        "alertmanager": _alertmanager(stack),
        "grafana": _grafana(stack),
        "prometheus": {"service": {"port": PROMETHEUS_PORT}, "prometheusSpec": _prometheus_spec(stack)},
    }
    return HelmRelease(
        MONITORING_RELEASE,
        stack.settings.monitoring.namespace,
        "kube-prometheus-stack",
        platform.chart_versions.kube_prometheus_stack,
        str(platform.chart_repositories.kube_prometheus_stack),
        values,
    )


def _alertmanager(stack: Stack) -> dict[str, Any]:
    spec: dict[str, Any] = {"resources": requirements(stack.settings.platform.alertmanager)}
    if stack.secret_keys:
        spec["secrets"] = [CREDENTIALS_SECRET]
    return {
        "config": alertmanager_config(stack.settings.alerting),
        "service": {"port": ALERTMANAGER_PORT},
        "alertmanagerSpec": spec,
    }


def _grafana(stack: Stack) -> dict[str, Any]:
    return {
        "admin": {
            "existingSecret": GRAFANA_ADMIN_SECRET,
            "userKey": ADMIN_USER_KEY,
            "passwordKey": ADMIN_PASSWORD_KEY,
        },
        "resources": requirements(stack.settings.platform.grafana),
        "sidecar": {
            "dashboards": {
                "enabled": True,
                "label": DASHBOARD_LABEL,
                "labelValue": DASHBOARD_LABEL_VALUE,
                "searchNamespace": stack.settings.monitoring.namespace,
                "folderAnnotation": FOLDER_ANNOTATION,
                "provider": {"foldersFromFilesStructure": True},
            }
        },
    }


def _prometheus_spec(stack: Stack) -> dict[str, Any]:
    monitoring, platform = stack.settings.monitoring, stack.settings.platform
    spec: dict[str, Any] = {
        "scrapeInterval": str(monitoring.scrape_interval),
        "evaluationInterval": str(monitoring.evaluation_interval),
        "retention": str(monitoring.retention),
        "podMetadata": {"labels": dict(PROMETHEUS_POD_LABELS)},
        "resources": requirements(platform.prometheus.resources),
        "storageSpec": {"volumeClaimTemplate": {"spec": _tsdb_claim(stack)}},
    }
    for kind in ("rule", "serviceMonitor", "podMonitor"):
        spec[f"{kind}SelectorNilUsesHelmValues"] = False
        spec[f"{kind}Selector"] = prometheus_selector()
        spec[f"{kind}NamespaceSelector"] = vigie_namespaces()
    return spec


def _tsdb_claim(stack: Stack) -> dict[str, Any]:
    prometheus = stack.settings.platform.prometheus
    claim: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": prometheus.storage_size}},
    }
    if prometheus.storage_class:
        claim["storageClassName"] = prometheus.storage_class
    return claim

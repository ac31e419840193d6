"""kube-prometheus-stack's values: only what Vigie sets, built from the stack's settings.

Prometheus selects rules and monitors by an explicit `release` label in Vigie's namespaces (no implicit
Helm-derived selector); Alertmanager gets the generated routing and mounts the credentials Secret; Grafana's
sidecar loads the dashboard ConfigMaps into their folder, and its admin password comes from a Secret.
"""

from __future__ import annotations

from collections.abc import Sequence
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
from infra.settings.model import Alerting, Compute, Monitoring, Platform, PrometheusPlatform
from rules_src.alertmanager import CREDENTIALS_SECRET, alertmanager_config

ADMIN_USER_KEY = "admin-user"
ADMIN_PASSWORD_KEY = "admin-password"
CHART_ALERTS_REPLACED = ("Watchdog", "InfoInhibitor")
"""The chart's rules Vigie turns off: its own Watchdog goes to the dead man's switch, and Vigie's routing has
no InfoInhibitor route, so both would otherwise page the default receivers forever."""


def kube_prometheus_stack(
    monitoring: Monitoring, platform: Platform, alerting: Alerting, secret_keys: Sequence[str]
) -> HelmRelease:
    """`secret_keys` are those the receivers of `alerting` name: Alertmanager mounts their Secret if any."""
    values = {
        "fullnameOverride": MONITORING_RELEASE,
        "defaultRules": {"disabled": dict.fromkeys(CHART_ALERTS_REPLACED, True)},
        "alertmanager": _alertmanager(alerting, platform.alertmanager, secret_keys),
        "grafana": _grafana(monitoring.namespace, platform.grafana),
        "prometheus": {
            "service": {"port": PROMETHEUS_PORT},
            "prometheusSpec": _prometheus_spec(monitoring, platform.prometheus),
        },
    }
    return HelmRelease(
        MONITORING_RELEASE,
        monitoring.namespace,
        "kube-prometheus-stack",
        platform.chart_versions.kube_prometheus_stack,
        str(platform.chart_repositories.kube_prometheus_stack),
        values,
    )


def _alertmanager(alerting: Alerting, compute: Compute, secret_keys: Sequence[str]) -> dict[str, Any]:
    spec: dict[str, Any] = {"resources": requirements(compute)}
    if secret_keys:
        spec["secrets"] = [CREDENTIALS_SECRET]
    return {
        "config": alertmanager_config(alerting),
        "service": {"port": ALERTMANAGER_PORT},
        "alertmanagerSpec": spec,
    }


def _grafana(namespace: str, compute: Compute) -> dict[str, Any]:
    """Its sidecar searches `namespace`, where the dashboard ConfigMaps are."""
    return {
        "admin": {
            "existingSecret": GRAFANA_ADMIN_SECRET,
            "userKey": ADMIN_USER_KEY,
            "passwordKey": ADMIN_PASSWORD_KEY,
        },
        "resources": requirements(compute),
        "sidecar": {
            "dashboards": {
                "enabled": True,
                "label": DASHBOARD_LABEL,
                "labelValue": DASHBOARD_LABEL_VALUE,
                "searchNamespace": namespace,
                "folderAnnotation": FOLDER_ANNOTATION,
                "provider": {"foldersFromFilesStructure": True},
            }
        },
    }


def _prometheus_spec(monitoring: Monitoring, prometheus: PrometheusPlatform) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "scrapeInterval": str(monitoring.scrape_interval),
        "evaluationInterval": str(monitoring.evaluation_interval),
        "retention": str(monitoring.retention),
        "podMetadata": {"labels": dict(PROMETHEUS_POD_LABELS)},
        "resources": requirements(prometheus.resources),
        "storageSpec": {"volumeClaimTemplate": {"spec": _tsdb_claim(prometheus)}},
    }
    for kind in ("rule", "serviceMonitor", "podMonitor"):
        spec[f"{kind}SelectorNilUsesHelmValues"] = False
        spec[f"{kind}Selector"] = prometheus_selector()
        spec[f"{kind}NamespaceSelector"] = vigie_namespaces()
    return spec


def _tsdb_claim(prometheus: PrometheusPlatform) -> dict[str, Any]:
    claim: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": prometheus.storage_size}},
    }
    if prometheus.storage_class:
        claim["storageClassName"] = prometheus.storage_class
    return claim

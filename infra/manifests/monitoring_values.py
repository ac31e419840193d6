"""kube-prometheus-stack's values: only what Vigie sets, built from the stack's settings.

Prometheus selects rules and monitors by an explicit `release` label in Vigie's namespaces (no implicit
Helm-derived selector); Alertmanager gets the generated routing and mounts the credentials Secret; Grafana's
sidecar loads the dashboard ConfigMaps into their folder, and its admin password comes from a Secret. Both
Prometheus and Alertmanager run the replicas `vigie:monitoring` asks for (see _prometheus_spec, _alertmanager).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from conventions import contract as c
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
        "alertmanager": _alertmanager(alerting, platform.alertmanager, secret_keys, monitoring),
        "grafana": _grafana(monitoring.namespace, platform.grafana),
        "prometheus": {
            "service": {"port": PROMETHEUS_PORT},
            "prometheusSpec": _prometheus_spec(monitoring, platform.prometheus),
            **_disruption_budget(monitoring.prometheus_replicas),
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


def _alertmanager(
    alerting: Alerting, compute: Compute, secret_keys: Sequence[str], monitoring: Monitoring
) -> dict[str, Any]:
    """From two replicas the operator clusters them (`--cluster.peer` for each pod of the StatefulSet): they
    gossip the notification log, and a replica sends only what no peer has logged as sent."""
    spec: dict[str, Any] = {"replicas": monitoring.alertmanager_replicas, "resources": requirements(compute)}
    if secret_keys:
        spec["secrets"] = [CREDENTIALS_SECRET]
    return {
        "config": alertmanager_config(alerting),
        "service": {"port": ALERTMANAGER_PORT},
        "alertmanagerSpec": spec,
        **_disruption_budget(monitoring.alertmanager_replicas),
    }


def _disruption_budget(replicas: int) -> dict[str, Any]:
    """With replicas, a node drain must leave one running (the chart's budget: minAvailable 1); with one, a
    budget would block every drain, so there is none."""
    return {"podDisruptionBudget": {"enabled": True}} if replicas > 1 else {}


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
    """Every replica scrapes and evaluates everything. The operator gives each one's series the external label
    `replicaExternalLabelName` (named here rather than left to the operator's default, which is the same) and
    drops it from the alerts it sends (`alert_relabel_configs: labeldrop`), so the replicas' alerts reach
    Alertmanager as one. Its `prometheus` external label (<namespace>/<name>, the same on every alert of a stack's
    one Prometheus) is cleared, so a drift alert the Airflow DAG posts carries exactly the rule's labels."""
    spec: dict[str, Any] = {
        "replicas": monitoring.prometheus_replicas,
        "replicaExternalLabelName": c.PROMETHEUS_REPLICA,
        "prometheusExternalLabelNameClear": True,
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

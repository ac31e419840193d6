"""Everything Vigie creates for Prometheus and Grafana is picked up by them as the chart values configure them,
and the monitors, policies and mounts point at what really exists (the classic `release` label pitfall)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from infra.manifests.concerns import for_review
from rules_src.alertmanager import CREDENTIALS_DIR, CREDENTIALS_SECRET
from rules_src.stack import load_stack
from tests.conftest import PROJECT_DIR
from tests.infra.drift_schedules import drift_pod_template
from tests.infra.pulumi_run import Deployment
from tests.infra.reference import chart_defaults
from tests.infra.selection import matches, merged, namespace_labels, prometheus_selectors, sidecar_searches

SELECTED_KINDS = {"PrometheusRule": "rule", "ServiceMonitor": "serviceMonitor", "PodMonitor": "podMonitor"}


def _chart_values(deployment: Deployment, chart: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(release inputs, the values the chart renders with: defaults merged with Vigie's)."""
    release = deployment.releases()[chart]
    return release, merged(chart_defaults(chart, release["version"]), release["values"])


def _namespaces(deployment: Deployment) -> dict[str, dict[str, str]]:
    return {m["metadata"]["name"]: namespace_labels(m) for m in deployment.manifests("Namespace")}


def unselected(deployment: Deployment, manifests: list[dict[str, Any]]) -> list[str]:
    """The monitoring objects among `manifests` that Vigie's Prometheus would not load."""
    release, values = _chart_values(deployment, "kube-prometheus-stack")
    namespaces = _namespaces(deployment)
    missed = []
    for manifest in manifests:
        selector, namespace_selector = prometheus_selectors(
            values, release["name"], SELECTED_KINDS[manifest["kind"]]
        )
        metadata = manifest["metadata"]
        in_namespace = matches(namespace_selector, namespaces.get(metadata["namespace"], {}))
        if not (in_namespace and matches(selector, metadata.get("labels", {}))):
            missed.append(f"{manifest['kind']}/{metadata['name']}")
    return missed


def _monitoring_objects(deployment: Deployment) -> list[dict[str, Any]]:
    return [m for kind in SELECTED_KINDS for m in deployment.manifests(kind)]


def test_prometheus_loads_every_rule_and_monitor_vigie_creates(deployment: Deployment) -> None:
    objects = _monitoring_objects(deployment)
    assert sorted(m["kind"] for m in objects) == ["PodMonitor", "PrometheusRule", "ServiceMonitor"]
    assert unselected(deployment, objects) == []


@pytest.mark.parametrize("label", ["release", "app.kubernetes.io/part-of"])
def test_a_monitor_missing_a_selected_label_is_reported(deployment: Deployment, label: str) -> None:
    """The check can fail: without `release`, or in a namespace Prometheus does not read, nothing is loaded."""
    (pod_monitor,) = copy.deepcopy(deployment.manifests("PodMonitor"))
    if label == "release":
        del pod_monitor["metadata"]["labels"][label]
    else:
        pod_monitor["metadata"]["namespace"] = "default"
    assert unselected(deployment, [pod_monitor]) == ["PodMonitor/vigie-scoring"]


def test_grafana_sidecar_loads_every_dashboard_into_its_folder(deployment: Deployment) -> None:
    release, values = _chart_values(deployment, "kube-prometheus-stack")
    sidecar = values["grafana"]["sidecar"]["dashboards"]
    dashboards = [
        m for m in deployment.manifests("ConfigMap") if m["metadata"]["name"].endswith("-dashboard")
    ]
    assert len(dashboards) == 3 and sidecar["enabled"] is True
    for manifest in dashboards:
        metadata = manifest["metadata"]
        assert metadata["labels"].get(sidecar["label"]) == sidecar["labelValue"]
        assert sidecar_searches(sidecar.get("searchNamespace"), release["namespace"], metadata["namespace"])
        assert metadata["annotations"][sidecar["folderAnnotation"]] == "Vigie"
    assert sidecar["provider"]["foldersFromFilesStructure"] is True


def test_service_monitor_scrapes_the_pushgateway_service_port(deployment: Deployment) -> None:
    (monitor,) = deployment.manifests("ServiceMonitor")
    services = [
        s
        for s in deployment.manifests("Service")
        if s["metadata"]["namespace"] in monitor["spec"]["namespaceSelector"]["matchNames"]
        and matches(monitor["spec"]["selector"], s["metadata"]["labels"])
    ]
    assert [s["metadata"]["name"] for s in services] == ["vigie-pushgateway"]
    ports = {p["name"] for p in services[0]["spec"]["ports"]}
    assert [e["port"] for e in monitor["spec"]["endpoints"]] == ["http"] and "http" in ports
    assert monitor["spec"]["endpoints"][0]["honorLabels"] is True


def _ray_pod_templates(deployment: Deployment) -> list[dict[str, Any]]:
    (ray_service,) = deployment.manifests("RayService")
    cluster = ray_service["spec"]["rayClusterConfig"]
    return [cluster["headGroupSpec"]["template"], *(g["template"] for g in cluster["workerGroupSpecs"])]


def test_pod_monitor_scrapes_ray_metrics_on_head_and_workers(deployment: Deployment) -> None:
    (monitor,) = deployment.manifests("PodMonitor")
    (port,) = [e["port"] for e in monitor["spec"]["podMetricsEndpoints"]]
    for template in _ray_pod_templates(deployment):
        assert matches(monitor["spec"]["selector"], template["metadata"]["labels"])
        (container,) = template["spec"]["containers"]
        assert {"name": port, "containerPort": 8080, "protocol": "TCP"} in container["ports"]


def _admits(policy: dict[str, Any], namespace: dict[str, str], pod: dict[str, str], port: int) -> bool:
    """Whether a pod with labels `pod`, in a namespace with labels `namespace`, may connect on `port`."""
    own = {"kubernetes.io/metadata.name": policy["metadata"]["namespace"]}
    for rule in policy["spec"]["ingress"]:
        if rule.get("ports") and port not in [p["port"] for p in rule["ports"]]:
            continue
        for peer in rule["from"]:
            if "namespaceSelector" in peer:
                in_namespace = matches(peer["namespaceSelector"], namespace)
            else:
                in_namespace = namespace == own
            if in_namespace and matches(peer.get("podSelector", {}), pod):
                return True
    return False


def test_network_policies_admit_the_pods_the_charts_and_vigie_label(deployment: Deployment) -> None:
    """Prometheus's pod labels come from its chart values, the operator's from its own; drift pods from the
    CronJob; the ingress controller from settings."""
    stack = load_stack(PROJECT_DIR, deployment.stack)
    s = stack.settings
    policies = {m["metadata"]["name"]: m for m in deployment.manifests("NetworkPolicy")}
    _, kps = _chart_values(deployment, "kube-prometheus-stack")
    _, kuberay = _chart_values(deployment, "kuberay-operator")
    prometheus = (
        {"kubernetes.io/metadata.name": s.monitoring.namespace},
        kps["prometheus"]["prometheusSpec"]["podMetadata"]["labels"],
    )
    operator = ({"kubernetes.io/metadata.name": s.platform.kuberay_namespace}, kuberay["labels"])
    drift = (
        {"kubernetes.io/metadata.name": s.serving.namespace},
        drift_pod_template(deployment)["metadata"]["labels"],
    )
    ingress = (
        {"kubernetes.io/metadata.name": s.platform.scoring.ingress.namespace},
        s.platform.scoring.ingress.pod_labels,
    )
    stranger = ({"kubernetes.io/metadata.name": "default"}, {"app": "curl"})
    assert [
        _admits(policies["vigie-pushgateway"], *peer, 9091) for peer in (drift, prometheus, ingress, stranger)
    ] == [True, True, False, False]
    airflow_worker = ({"kubernetes.io/metadata.name": s.drift.airflow.namespace}, {"component": "worker"})
    assert _admits(policies["vigie-pushgateway"], *airflow_worker, 9091) is (s.drift.scheduler == "airflow")
    scoring = policies["vigie-scoring"]
    assert [
        _admits(scoring, *ingress, 8000),
        _admits(scoring, *prometheus, 8080),
        _admits(scoring, *operator, 8265),
    ] == [True, True, True]
    assert [
        _admits(scoring, *prometheus, 8000),
        _admits(scoring, *stranger, 8000),
        _admits(scoring, *drift, 8000),
    ] == [False, False, False]
    assert policies["vigie-drift"]["spec"]["ingress"] == []


def test_policies_select_the_pods_they_protect(deployment: Deployment) -> None:
    policies = {
        m["metadata"]["name"]: m["spec"]["podSelector"] for m in deployment.manifests("NetworkPolicy")
    }
    (pushgateway,) = deployment.manifests("Deployment")
    assert matches(policies["vigie-drift"], drift_pod_template(deployment)["metadata"]["labels"])
    assert matches(policies["vigie-pushgateway"], pushgateway["spec"]["template"]["metadata"]["labels"])
    for report in (m for m in deployment.manifests("CronJob") if m["metadata"]["name"] == "vigie-report"):
        assert matches(
            policies["vigie-report"], report["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
        )
    assert all(
        matches(policies["vigie-scoring"], t["metadata"]["labels"]) for t in _ray_pod_templates(deployment)
    )


def test_alertmanager_mounts_the_secret_its_configuration_reads(deployment: Deployment) -> None:
    _, values = _chart_values(deployment, "kube-prometheus-stack")
    (secret,) = [m for m in deployment.manifests("Secret") if m["metadata"]["name"] == CREDENTIALS_SECRET]
    assert values["alertmanager"]["alertmanagerSpec"]["secrets"] == [CREDENTIALS_SECRET]
    files = set(_files(values["alertmanager"]["config"]["receivers"]))
    assert files and files == {f"{CREDENTIALS_DIR}/{key}" for key in secret["stringData"]}


def _files(config: Any) -> Iterator[str]:
    """Every file an Alertmanager configuration reads, at any depth (a bot token's is under http_config)."""
    if isinstance(config, dict):
        for key, value in config.items():
            if key.endswith("_file") and isinstance(value, str):
                yield value
            else:
                yield from _files(value)
    elif isinstance(config, list):
        for item in config:
            yield from _files(item)


def test_grafana_logs_in_with_the_generated_admin_secret(deployment: Deployment) -> None:
    _, values = _chart_values(deployment, "kube-prometheus-stack")
    admin = values["grafana"]["admin"]
    (secret,) = [
        m for m in deployment.manifests("Secret") if m["metadata"]["name"] == admin["existingSecret"]
    ]
    assert set(secret["stringData"]) == {admin["userKey"], admin["passwordKey"]}
    assert "adminPassword" not in values["grafana"]


def test_render_and_program_share_the_release_name_prometheus_selects(deployment: Deployment) -> None:
    release, values = _chart_values(deployment, "kube-prometheus-stack")
    rendered = for_review(load_stack(PROJECT_DIR, deployment.stack))["monitoring"].releases[0]
    assert release["name"] == rendered.name
    assert prometheus_selectors(values, release["name"], "rule")[0] == {
        "matchLabels": {"release": release["name"]}
    }

"""Each concern's objects grouped in the order they can be applied: what a Pulumi component declares and what
`vigie render` writes under generated/<stack>/manifests/."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dashboards_src.build import dashboards as build_dashboards
from infra.manifests import (
    dashboards,
    data_volume,
    drift_cronjob,
    drift_dag,
    ingress,
    kuberay_values,
    monitoring_secrets,
    monitoring_values,
    namespaces,
    network_policies,
    object_storage,
    pushgateway,
    report_cronjob,
    scoring,
)
from infra.manifests.data_volume import StackUris
from infra.manifests.helm import HelmRelease
from infra.manifests.names import endpoints
from rules_src.stack import Stack

Manifest = dict[str, Any]


@dataclass(frozen=True)
class Bundle:
    """Namespaces first, then what the releases need, the releases, and what needs the releases' CRDs."""

    namespaces: tuple[Manifest, ...] = ()
    prerequisites: tuple[Manifest, ...] = ()
    releases: tuple[HelmRelease, ...] = ()
    objects: tuple[Manifest, ...] = ()

    def manifests(self) -> list[Manifest]:
        return [*self.namespaces, *self.prerequisites, *self.objects]


def monitoring(stack: Stack, credentials: Mapping[str, Any], grafana_password: Any) -> Bundle:
    """kube-prometheus-stack, after the Secrets its Alertmanager mounts and its Grafana logs in with."""
    s = stack.settings
    namespace = s.monitoring.namespace
    secrets = [monitoring_secrets.grafana_admin_secret(stack.name, namespace, grafana_password)]
    if stack.secret_keys:
        secrets.insert(
            0, monitoring_secrets.credentials_secret(stack.name, namespace, stack.secret_keys, credentials)
        )
    return Bundle(
        namespaces=(namespaces.monitoring_namespace(stack.name, s.monitoring),),
        prerequisites=tuple(secrets),
        releases=(
            monitoring_values.kube_prometheus_stack(s.monitoring, s.platform, s.alerting, stack.secret_keys),
        ),
    )


def _uris(stack: Stack) -> StackUris:
    s = stack.settings
    return data_volume.stack_uris(s.model, s.serving, s.drift)


def _policies(stack: Stack) -> network_policies.PolicySlice:
    s = stack.settings
    return network_policies.PolicySlice(stack.name, s.monitoring.namespace, s.serving.namespace)


def scoring_service(stack: Stack, storage_credentials: Any) -> Bundle:
    """The KubeRay operator, then the RayService it runs, its PodMonitor and its network policy, after the data
    volume (relative URIs) and the object-storage Secret (`storage_credentials`: its credentials file's text)
    they read."""
    s = stack.settings
    uris = _uris(stack)
    claims: tuple[Manifest, ...] = (
        (data_volume.data_claim(stack.name, s.serving.namespace, s.platform.data_volume),)
        if data_volume.needs_data_volume(uris)
        else ()
    )
    if s.platform.object_storage is not None:
        claims += (object_storage.storage_secret(stack.name, s.serving.namespace, storage_credentials),)
    service = scoring.ScoringSlice(stack.name, s.serving, s.model, s.platform, uris, stack.alerts)
    return Bundle(
        namespaces=(
            namespaces.scoring_namespace(stack.name, s.serving),
            namespaces.kuberay_namespace(stack.name, s.platform),
        ),
        prerequisites=claims,
        releases=(kuberay_values.kuberay_operator(stack.name, s.platform, s.serving.namespace),),
        objects=(
            scoring.ray_service(service),
            scoring.ray_pod_monitor(service),
            network_policies.scoring_policy(_policies(stack), s.platform),
            *_way_in(stack),
        ),
    )


def _way_in(stack: Stack) -> tuple[Manifest, ...]:
    """The scoring API's Ingress, when the stack names its host."""
    s = stack.settings
    way_in = ingress.IngressSlice(
        stack.name, s.serving.namespace, s.platform.scoring.ingress, s.serving.max_request_bytes
    )
    found = ingress.scoring_ingress(way_in)
    return (found,) if found is not None else ()


def _airflow_namespace(stack: Stack) -> str | None:
    drift = stack.settings.drift
    return drift.airflow.namespace if drift.scheduler == "airflow" else None


def pushgateway_bundle(stack: Stack) -> Bundle:
    s = stack.settings
    gateway = pushgateway.PushgatewaySlice(
        stack.name, s.monitoring.namespace, s.platform.pushgateway, s.platform.images.pushgateway
    )
    return Bundle(
        objects=(
            pushgateway.pushgateway_claim(gateway),
            pushgateway.pushgateway_deployment(gateway),
            pushgateway.pushgateway_service(gateway),
            pushgateway.pushgateway_service_monitor(gateway),
            network_policies.pushgateway_policy(_policies(stack), _airflow_namespace(stack)),
        )
    )


def _drift_job(stack: Stack) -> drift_cronjob.DriftJobSlice:
    s = stack.settings
    pushgateway_url = endpoints(s.monitoring, s.serving)["pushgateway"].url
    if s.drift.scheduler == "airflow" and s.drift.airflow.pushgateway_url is not None:
        pushgateway_url = str(s.drift.airflow.pushgateway_url).rstrip("/")
    return drift_cronjob.DriftJobSlice(
        stack.name, s.serving.namespace, pushgateway_url, s.drift, s.platform, _uris(stack)
    )


def drift_dag_slice(stack: Stack) -> drift_dag.DagSlice:
    """The drift DAG's data: the drift job's, and the Alertmanager its alert task posts to."""
    s = stack.settings
    alertmanager = s.drift.airflow.alertmanager_url or endpoints(s.monitoring, s.serving)["alertmanager"].url
    return drift_dag.DagSlice(_drift_job(stack), s.drift.airflow, str(alertmanager).rstrip("/"), stack)


def drift_jobs(stack: Stack) -> Bundle:
    """The drift job's ServiceAccount, settings and network policy, and what schedules it: the CronJob, or
    the Airflow DAG's ConfigMap in Airflow's namespace and the Role (with its binding to Airflow's worker
    ServiceAccount) that lets the DAG run the drift pod in the scoring namespace."""
    s = stack.settings
    job = _drift_job(stack)
    scheduled: tuple[Manifest, ...]
    if s.drift.scheduler == "cronjob":
        scheduled = (drift_cronjob.drift_cron_job(job),)
    else:
        dag = drift_dag_slice(stack)
        scheduled = (drift_dag.dag_config_map(dag, f"Pulumi.{stack.name}.yaml"),)
        if s.drift.airflow.mode == "kubernetes":  # a local-mode DAG runs no pod
            scheduled += (drift_dag.dag_pod_role(dag), drift_dag.dag_pod_role_binding(dag))
    return Bundle(
        objects=(
            drift_cronjob.drift_service_account(job),
            drift_cronjob.drift_settings(job, s),
            *scheduled,
            network_policies.drift_policy(_policies(stack)),
        )
    )


def business_report(stack: Stack) -> Bundle:
    """The weekly report's CronJob, for a stack whose business route has e-mail receivers; empty otherwise."""
    s = stack.settings
    emails = s.alerting.business_emails()
    if not emails:
        return Bundle()
    prometheus_url = endpoints(s.monitoring, s.serving)["prometheus"].url
    keys = tuple(sorted({email.password_secret for email in emails.values()}))
    job = report_cronjob.ReportJobSlice(
        stack.name, s.monitoring.namespace, prometheus_url, s.report, keys, s.platform
    )
    return Bundle(
        objects=(
            report_cronjob.report_service_account(job),
            report_cronjob.report_settings(job, s),
            report_cronjob.report_cron_job(job),
            network_policies.report_policy(_policies(stack)),
        )
    )


def dashboard_maps(stack: Stack) -> Bundle:
    namespace = stack.settings.monitoring.namespace
    return Bundle(
        objects=tuple(dashboards.dashboard_config_maps(stack.name, namespace, build_dashboards(stack)))
    )


def _redacted_storage(stack: Stack) -> str | None:
    storage = stack.settings.platform.object_storage
    return object_storage.redacted_storage_credentials(storage) if storage is not None else None


def for_review(stack: Stack) -> dict[str, Bundle]:
    """Every bundle by file stem, secrets redacted. The PrometheusRule is not repeated: it is
    generated/<stack>/prometheus-rule.yaml. A stack without a business report (no e-mail receiver) has no report
    file."""
    return {
        "monitoring": monitoring(
            stack,
            monitoring_secrets.redacted_credentials(stack.secret_keys),
            monitoring_secrets.REDACTED_GRAFANA_PASSWORD,
        ),
        "scoring": scoring_service(stack, _redacted_storage(stack)),
        "pushgateway": pushgateway_bundle(stack),
        "drift": drift_jobs(stack),
        "dashboards": dashboard_maps(stack),
        **({"report": report} if (report := business_report(stack)).manifests() else {}),
    }

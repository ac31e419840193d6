"""Each concern's objects grouped in the order they can be applied: what a Pulumi component declares and what
`vigie render` writes under generated/<stack>/manifests/."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from infra.manifests import (
    dashboards,
    data_volume,
    drift_cronjob,
    kuberay_values,
    monitoring_secrets,
    monitoring_values,
    namespaces,
    network_policies,
    pushgateway,
    scoring,
)
from infra.manifests.helm import HelmRelease
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
    secrets = [monitoring_secrets.grafana_admin_secret(stack, grafana_password)]
    if stack.secret_keys:
        secrets.insert(0, monitoring_secrets.credentials_secret(stack, credentials))
    return Bundle(
        namespaces=(namespaces.monitoring_namespace(stack),),
        prerequisites=tuple(secrets),
        releases=(monitoring_values.kube_prometheus_stack(stack),),
    )


def scoring_service(stack: Stack) -> Bundle:
    """The KubeRay operator, then the RayService it runs, its PodMonitor and its network policy."""
    claims = (data_volume.data_claim(stack),) if data_volume.needs_data_volume(stack) else ()
    return Bundle(
        namespaces=(namespaces.scoring_namespace(stack), namespaces.kuberay_namespace(stack)),
        prerequisites=claims,
        releases=(kuberay_values.kuberay_operator(stack),),
        objects=(
            scoring.ray_service(stack),
            scoring.ray_pod_monitor(stack),
            network_policies.scoring_policy(stack),
        ),
    )


def pushgateway_bundle(stack: Stack) -> Bundle:
    return Bundle(
        objects=(
            pushgateway.pushgateway_claim(stack),
            pushgateway.pushgateway_deployment(stack),
            pushgateway.pushgateway_service(stack),
            pushgateway.pushgateway_service_monitor(stack),
            network_policies.pushgateway_policy(stack),
        )
    )


def drift_jobs(stack: Stack) -> Bundle:
    return Bundle(
        objects=(
            drift_cronjob.drift_service_account(stack),
            drift_cronjob.drift_settings(stack),
            drift_cronjob.drift_cron_job(stack),
            network_policies.drift_policy(stack),
        )
    )


def dashboard_maps(stack: Stack) -> Bundle:
    return Bundle(objects=tuple(dashboards.dashboard_config_maps(stack)))


def for_review(stack: Stack) -> dict[str, Bundle]:
    """Every bundle by file stem, secrets redacted. The PrometheusRule is not repeated: it is
    generated/<stack>/prometheus-rule.yaml."""
    return {
        "monitoring": monitoring(
            stack,
            monitoring_secrets.redacted_credentials(stack),
            monitoring_secrets.REDACTED_GRAFANA_PASSWORD,
        ),
        "scoring": scoring_service(stack),
        "pushgateway": pushgateway_bundle(stack),
        "drift": drift_jobs(stack),
        "dashboards": dashboard_maps(stack),
    }

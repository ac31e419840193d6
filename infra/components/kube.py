"""Declaring plain manifests and Helm releases as Pulumi resources, without rewriting them.

Core kinds get their typed pulumi_kubernetes class (so a Secret's data is a Pulumi secret); custom resources
are declared as they are. Nested fields stay in Kubernetes' camelCase, as the manifests have them.
"""

from __future__ import annotations

import re
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s

from infra.manifests.concerns import Manifest
from infra.manifests.helm import HelmRelease

RELEASE_TIMEOUT_SECONDS = 900
"""kube-prometheus-stack's first install (CRDs, operator, Prometheus's volume) can take several minutes."""

_TYPED: dict[tuple[str, str], Any] = {
    ("v1", "Namespace"): k8s.core.v1.Namespace,
    ("v1", "Secret"): k8s.core.v1.Secret,
    ("v1", "ConfigMap"): k8s.core.v1.ConfigMap,
    ("v1", "Service"): k8s.core.v1.Service,
    ("v1", "ServiceAccount"): k8s.core.v1.ServiceAccount,
    ("v1", "PersistentVolumeClaim"): k8s.core.v1.PersistentVolumeClaim,
    ("apps/v1", "Deployment"): k8s.apps.v1.Deployment,
    ("batch/v1", "CronJob"): k8s.batch.v1.CronJob,
    ("networking.k8s.io/v1", "NetworkPolicy"): k8s.networking.v1.NetworkPolicy,
    ("networking.k8s.io/v1", "Ingress"): k8s.networking.v1.Ingress,
    ("rbac.authorization.k8s.io/v1", "Role"): k8s.rbac.v1.Role,
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): k8s.rbac.v1.RoleBinding,
}


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def child_name(parent: str, manifest: Manifest) -> str:
    """`<component>-<kind>-<name>`: unique within a stack, stable across runs."""
    return f"{parent}-{manifest['kind'].lower()}-{manifest['metadata']['name']}"


def declare(parent: str, manifest: Manifest, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    api_version, kind = manifest["apiVersion"], manifest["kind"]
    fields = {_snake(k): v for k, v in manifest.items() if k not in ("apiVersion", "kind")}
    name = child_name(parent, manifest)
    typed = _TYPED.get((api_version, kind))
    if typed is None:
        resource: pulumi.CustomResource = k8s.apiextensions.CustomResource(
            name, api_version=api_version, kind=kind, opts=opts, **fields
        )
        return resource
    declared: pulumi.CustomResource = typed(name, opts=opts, **fields)
    return declared


def object_name(resource: pulumi.CustomResource) -> pulumi.Output[str]:
    """The name the cluster knows a typed object by, once it exists."""
    name: pulumi.Output[str] = cast(Any, resource).metadata.name
    return name


def release_status(resource: pulumi.CustomResource) -> pulumi.Output[Any]:
    """A Helm release as Helm reports it once installed: name, namespace, chart, version, revision, status."""
    status: pulumi.Output[Any] = cast(Any, resource).status
    return status


def declare_release(parent: str, release: HelmRelease, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    """The chart at its pinned version, under the release name Vigie's selectors and endpoints expect."""
    declared: pulumi.CustomResource = k8s.helm.v3.Release(
        f"{parent}-release-{release.name}",
        name=release.name,
        namespace=release.namespace,
        chart=release.chart,
        version=release.version,
        repository_opts={"repo": release.repository},
        values=release.values,
        create_namespace=False,
        timeout=RELEASE_TIMEOUT_SECONDS,
        opts=opts,
    )
    return declared

"""The base of Vigie's components: a concern's bundle declared as children, in dependency order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from infra.components.kube import declare, declare_release, release_status
from infra.manifests.concerns import Bundle, Manifest
from infra.manifests.helm import HelmRelease
from rules_src.stack import Stack


@dataclass(frozen=True)
class StackArgs:
    """What every component is built from: the validated stack."""

    stack: Stack


class BundleComponent(pulumi.ComponentResource):
    """A component whose children are a bundle's manifests and releases, named from the component's name."""

    declared: dict[str, pulumi.CustomResource]
    """Children by Kubernetes kind and name (`Namespace/monitoring`, `Release/vigie`)."""
    releases: dict[str, pulumi.Output[Any]]
    """Each Helm release's status by release name, as Helm reports it once installed."""

    def __init__(self, type_token: str, name: str, opts: pulumi.ResourceOptions | None) -> None:
        super().__init__(type_token, name, None, opts)
        self._name = name
        self.declared = {}
        self.releases = {}

    def declare_bundle(self, bundle: Bundle) -> None:
        """Namespaces, then prerequisites, then releases, then the objects that need the releases' CRDs."""
        namespaces = [self._declare(m, []) for m in bundle.namespaces]
        prerequisites = [self._declare(m, namespaces) for m in bundle.prerequisites]
        before = namespaces + prerequisites
        releases = [self._release(release, before) for release in bundle.releases]
        for manifest in bundle.objects:
            self._declare(manifest, before + releases)

    @property
    def objects(self) -> list[str]:
        """The children declared, as kind/name."""
        return sorted(self.declared)

    def declared_outputs(self) -> dict[str, Any]:
        """What the component declared, for `register_outputs`: its children as kind/name and, when it installs
        charts, each release's status (name, namespace, chart version, revision, `deployed`…)."""
        outputs: dict[str, Any] = {"objects": self.objects}
        if self.releases:
            outputs["releases"] = dict(self.releases)
        return outputs

    def _options(self, after: list[pulumi.CustomResource]) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, depends_on=list(after))

    def _declare(self, manifest: Manifest, after: list[pulumi.CustomResource]) -> pulumi.CustomResource:
        resource = declare(self._name, manifest, self._options(after))
        self.declared[f"{manifest['kind']}/{manifest['metadata']['name']}"] = resource
        return resource

    def _release(self, release: HelmRelease, after: list[pulumi.CustomResource]) -> pulumi.CustomResource:
        resource = declare_release(self._name, release, self._options(after))
        self.declared[f"Release/{release.name}"] = resource
        self.releases[release.name] = release_status(resource)
        return resource

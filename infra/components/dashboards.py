"""The Dashboards component: one ConfigMap per dashboard, for kube-prometheus-stack's Grafana sidecar."""

from __future__ import annotations

import pulumi

from infra.components.bundle import BundleComponent, StackArgs
from infra.manifests import concerns

TYPE = "vigie:index:Dashboards"


class Dashboards(BundleComponent):
    names: list[str]
    """The Kubernetes objects declared, as kind/name."""

    def __init__(self, name: str, args: StackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, opts)
        self.declare_bundle(concerns.dashboard_maps(args.stack))
        self.names = sorted(self.declared)
        self.register_outputs({"objects": self.names})

"""The Pushgateway component: the drift job's metrics, kept on a volume and scraped with honorLabels."""

from __future__ import annotations

import pulumi

from infra.components.bundle import BundleComponent, StackArgs
from infra.manifests import concerns

TYPE = "vigie:index:Pushgateway"


class Pushgateway(BundleComponent):
    names: list[str]
    """The Kubernetes objects declared, as kind/name."""

    def __init__(self, name: str, args: StackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, opts)
        self.declare_bundle(concerns.pushgateway_bundle(args.stack))
        self.names = sorted(self.declared)
        self.register_outputs({"objects": self.names})

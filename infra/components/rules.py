"""The Rules component: the PrometheusRule holding the stack's generated recording and alerting rules."""

from __future__ import annotations

import pulumi

from infra.artifacts import prometheus_rule
from infra.components.bundle import BundleComponent, StackArgs
from infra.manifests.concerns import Bundle

TYPE = "vigie:index:Rules"


class Rules(BundleComponent):
    """The same PrometheusRule `vigie render` writes to generated/<stack>/prometheus-rule.yaml."""

    names: list[str]
    """The Kubernetes objects declared, as kind/name."""

    def __init__(self, name: str, args: StackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, opts)
        self.declare_bundle(Bundle(objects=(prometheus_rule(args.stack),)))
        self.names = sorted(self.declared)
        self.register_outputs({"objects": self.names})

"""The components that are nothing but a bundle of plain manifests, one per concern: the Pushgateway, the drift
CronJob, the dashboards' ConfigMaps and the PrometheusRule.

Each concern keeps the type token it was first deployed with: a child's URN embeds its parent's type, so a new
token would make `pulumi up` replace every object of every deployed stack (the Pushgateway's volume included).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pulumi

from infra.artifacts import prometheus_rule
from infra.components.bundle import BundleComponent, StackArgs
from infra.manifests import concerns
from infra.manifests.concerns import Bundle
from rules_src.stack import Stack


@dataclass(frozen=True)
class Concern:
    """What a manifest set declares: its component type token and the bundle it is built from."""

    type_token: str
    bundle: Callable[[Stack], Bundle]


def _rules(stack: Stack) -> Bundle:
    """The same PrometheusRule `vigie render` writes to generated/<stack>/prometheus-rule.yaml."""
    return Bundle(objects=(prometheus_rule(stack),))


PUSHGATEWAY = Concern("vigie:index:Pushgateway", concerns.pushgateway_bundle)
"""The drift job's metrics, kept on a volume and scraped with honorLabels."""
DRIFT_JOBS = Concern("vigie:index:DriftJobs", concerns.drift_jobs)
"""The drift CronJob, its API-less ServiceAccount, settings file and network policy."""
DASHBOARDS = Concern("vigie:index:Dashboards", concerns.dashboard_maps)
"""One ConfigMap per dashboard, for kube-prometheus-stack's Grafana sidecar."""
RULES = Concern("vigie:index:Rules", _rules)
"""The PrometheusRule holding the stack's generated recording and alerting rules."""
BUSINESS_REPORT = Concern("vigie:index:BusinessReport", concerns.business_report)
"""The weekly business report's CronJob, API-less ServiceAccount, settings file and network policy; declared only
for a stack whose business route has e-mail receivers."""


class ManifestSet(BundleComponent):
    """One concern's manifests as children; its outputs are the namespaces they live in and their kind/names."""

    namespaces: list[str]

    def __init__(
        self, concern: Concern, name: str, args: StackArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(concern.type_token, name, opts)
        bundle = concern.bundle(args.stack)
        self.declare_bundle(bundle)
        self.namespaces = sorted({m["metadata"]["namespace"] for m in bundle.manifests()})
        self.register_outputs({"namespaces": self.namespaces, **self.declared_outputs()})

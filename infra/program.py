"""The Pulumi program: one component per concern, wired in dependency order, and the stack outputs users need.

Settings come from the running stack's config with the same validation as `vigie render`; nothing is
declared when they are invalid.
"""

from __future__ import annotations

from typing import Any

import pulumi

from conventions.errors import UserError
from infra.components.bundle import StackArgs
from infra.components.manifest_set import (
    BUSINESS_REPORT,
    DASHBOARDS,
    DRIFT_JOBS,
    PUSHGATEWAY,
    RULES,
    ManifestSet,
)
from infra.components.monitoring import Monitoring
from infra.components.scoring_service import ScoringService
from infra.manifests.names import GRAFANA_ADMIN_USER, endpoints
from infra.settings.pulumi_config import config_entries
from rules_src.stack import Stack, build_stack


def stack_from_pulumi() -> Stack:
    """The current Pulumi stack's settings, validated exactly as `vigie render` validates them."""
    name = pulumi.get_stack()
    values, secrets = config_entries()
    return build_stack(name, values, secrets, f"pulumi config of stack {name}")


def _after(*resources: pulumi.Resource) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(depends_on=list(resources))


def deploy(stack: Stack) -> dict[str, Any]:
    """Declare every component of the stack; return the stack outputs."""
    args = StackArgs(stack)
    monitoring = Monitoring("monitoring", args)
    scoring = ScoringService("scoring", args, _after(monitoring))
    pushgateway = ManifestSet(PUSHGATEWAY, "pushgateway", args, _after(monitoring))
    ManifestSet(DRIFT_JOBS, "drift", args, _after(scoring, pushgateway))
    ManifestSet(DASHBOARDS, "dashboards", args, _after(monitoring))
    ManifestSet(RULES, "rules", args, _after(monitoring))
    if stack.settings.alerting.business_emails():
        ManifestSet(BUSINESS_REPORT, "report", args, _after(monitoring))
    return outputs(stack, monitoring, scoring)


def outputs(stack: Stack, monitoring: Monitoring, scoring: ScoringService) -> dict[str, Any]:
    """Namespaces, the in-cluster endpoints (service, port, URL), and Grafana's login (its password secret)."""
    found: dict[str, Any] = {
        "namespaces": {
            "monitoring": monitoring.namespace,
            "scoring": scoring.namespace,
            "kuberay": scoring.kuberay_namespace,
        },
        **{
            role: endpoint.as_output()
            for role, endpoint in endpoints(stack.settings.monitoring, stack.settings.serving).items()
        },
        "grafanaUrl": str(stack.settings.monitoring.grafana_url),
        **_scoring_url(stack),
        "grafanaAdminUser": GRAFANA_ADMIN_USER,
        "grafanaAdminPassword": monitoring.grafana_admin_password,
    }
    return found


def _scoring_url(stack: Stack) -> dict[str, str]:
    """Where callers reach the scoring API through the Ingress, when the stack names its host."""
    host = stack.settings.platform.scoring.ingress.host
    return {"scoringUrl": f"https://{host}"} if host else {}


def main() -> None:
    """The entry point of `pulumi up`: read and validate the stack, declare it, export its outputs.

    Invalid settings stop the program before anything is declared, with the one-line message `vigie render`
    prints (a RunError is reported without a traceback)."""
    try:
        stack = stack_from_pulumi()
    except UserError as error:
        raise pulumi.RunError(str(error)) from None
    for name, value in deploy(stack).items():
        pulumi.export(name, value)

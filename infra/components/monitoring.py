"""The Monitoring component: kube-prometheus-stack, its credentials Secret and Grafana's generated admin login."""

from __future__ import annotations

import pulumi
import pulumi_random as random

from infra.components.bundle import BundleComponent, StackArgs
from infra.components.kube import object_name
from infra.manifests import concerns
from infra.settings.errors import NAMESPACE

TYPE = "vigie:index:Monitoring"
PASSWORD_LENGTH = 32


class Monitoring(BundleComponent):
    """Receiver credentials are read as Pulumi secrets and written only to the Kubernetes Secret."""

    namespace: pulumi.Output[str]
    grafana_admin_password: pulumi.Output[str]

    def __init__(self, name: str, args: StackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, opts)
        stack = args.stack
        config = pulumi.Config(NAMESPACE)
        credentials = {key: config.require_secret(key) for key in stack.secret_keys}
        password = random.RandomPassword(
            f"{name}-grafana-admin-password",
            length=PASSWORD_LENGTH,
            special=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.declare_bundle(concerns.monitoring(stack, credentials, password.result))
        self.namespace = object_name(self.declared[f"Namespace/{stack.settings.monitoring.namespace}"])
        self.grafana_admin_password = pulumi.Output.secret(password.result)
        self.register_outputs(
            {
                "namespace": self.namespace,
                "grafanaAdminPassword": self.grafana_admin_password,
                **self.declared_outputs(),
            }
        )

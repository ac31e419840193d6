"""The ScoringService component: the KubeRay operator, the RayService with autoscaling, its PodMonitor and
network policy, the data volume for relative URIs and the object-storage Secret (its credentials read as Pulumi
secrets, formatted into a shared-credentials file inside an Output, written only there)."""

from __future__ import annotations

import pulumi

from infra.components.bundle import BundleComponent, StackArgs
from infra.components.kube import object_name
from infra.manifests import concerns, object_storage
from infra.settings.errors import NAMESPACE

TYPE = "vigie:index:ScoringService"


class ScoringService(BundleComponent):
    namespace: pulumi.Output[str]
    kuberay_namespace: pulumi.Output[str]

    def __init__(self, name: str, args: StackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, opts)
        stack = args.stack
        storage = stack.settings.platform.object_storage
        config = pulumi.Config(NAMESPACE)
        credentials = (
            pulumi.Output.all(**{key: config.require_secret(key) for key in storage.secret_keys()}).apply(
                lambda values: object_storage.credentials_file(storage, values)
            )
            if storage
            else None
        )
        self.declare_bundle(concerns.scoring_service(stack, credentials))
        self.namespace = object_name(self.declared[f"Namespace/{stack.settings.serving.namespace}"])
        kuberay = stack.settings.platform.kuberay_namespace
        self.kuberay_namespace = object_name(self.declared[f"Namespace/{kuberay}"])
        self.register_outputs(
            {
                "namespace": self.namespace,
                "kuberayNamespace": self.kuberay_namespace,
                **self.declared_outputs(),
            }
        )

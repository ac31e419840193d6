"""What schedules a deployed stack's drift job, read back from the declared objects: the CronJob, or the SPEC of
the drift DAG shipped in its ConfigMap (read as data with `ast`, never executed: Airflow is not installed here)."""

from __future__ import annotations

import ast
from typing import Any

from infra.manifests.drift_dag import CONFIG_MAP
from tests.infra.pulumi_run import Deployment


def dag_spec(source: str) -> dict[str, Any]:
    """The `SPEC` literal of a generated DAG file."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "SPEC":
            assert node.value is not None
            spec: dict[str, Any] = ast.literal_eval(node.value)
            return spec
    raise AssertionError("no SPEC in the DAG file")


def deployed_dag_spec(deployment: Deployment) -> dict[str, Any] | None:
    """The drift DAG's SPEC, for a stack whose scheduler is Airflow; None for a CronJob stack."""
    found = [m for m in deployment.manifests("ConfigMap") if m["metadata"]["name"] == CONFIG_MAP]
    if not found:
        return None
    ((_, source),) = found[0]["data"].items()
    return dag_spec(source)


def drift_pod_template(deployment: Deployment) -> dict[str, Any]:
    """The drift job's pod template (metadata and spec), whichever scheduler runs it."""
    spec = deployed_dag_spec(deployment)
    if spec is None:
        template: dict[str, Any] = deployment.named("CronJob", "vigie-drift")["spec"]["jobTemplate"]["spec"]
        return dict(template["template"])
    return {key: spec["kubernetes"]["template"][key] for key in ("metadata", "spec")}

"""Every object the program declares against the official schemas: core kinds with kubernetes-validate, custom
resources against the reference CRDs, Helm values against the charts' defaults, and the Serve config inside
the RayService against Ray Serve's own model."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from ray.serve.schema import ServeDeploySchema

from infra.manifests.concerns import for_review
from infra.manifests.scoring import serve_document
from rules_src.stack import load_stack
from tests.conftest import PROJECT_DIR, STACKS
from tests.infra.chart_values import ALLOWED, values_problems
from tests.infra.k8s_schemas import manifest_problems
from tests.infra.pulumi_run import Deployment
from tests.infra.reference import chart_defaults


def test_every_kubernetes_object_passes_its_schema(deployment: Deployment) -> None:
    objects = deployment.kubernetes_objects()
    # staging and prod: the storage Secret and the Ingress, no data claim on s3, the DAG's Role and RoleBinding
    assert len(objects) == (24 if deployment.stack == "dev" else 29)
    found = [line for registration in objects for line in manifest_problems(registration.manifest())]
    assert found == []


def _prod(kind: str) -> dict[str, Any]:
    stack = load_stack(PROJECT_DIR, "prod")
    return next(
        copy.deepcopy(m) for b in for_review(stack).values() for m in b.manifests() if m["kind"] == kind
    )


def _misspell_autoscaling(m: dict[str, Any]) -> None:
    m["spec"]["rayClusterConfig"]["enableInTreeAutoScaling"] = m["spec"]["rayClusterConfig"].pop(
        "enableInTreeAutoscaling"
    )


def _misspell_security(m: dict[str, Any]) -> None:
    container = m["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"]["runAsNonroot"] = True


def _misspell_honor_labels(m: dict[str, Any]) -> None:
    m["spec"]["endpoints"][0]["honourLabels"] = True


def _wrong_type(m: dict[str, Any]) -> None:
    m["spec"]["replicas"] = "one"


@pytest.mark.parametrize(
    ("kind", "break_it", "expected"),
    [
        ("RayService", _misspell_autoscaling, "'enableInTreeAutoScaling' was unexpected"),
        ("CronJob", _misspell_security, "'runAsNonroot' was unexpected"),
        ("ServiceMonitor", _misspell_honor_labels, "'honourLabels' was unexpected"),
        ("Deployment", _wrong_type, "spec.replicas: 'one' is not of type"),
    ],
)
def test_schema_check_names_a_misspelt_or_mistyped_field(
    kind: str, break_it: Callable[[dict[str, Any]], None], expected: str
) -> None:
    manifest = _prod(kind)
    assert manifest_problems(manifest) == []
    break_it(manifest)
    found = manifest_problems(manifest)
    assert len(found) == 1 and expected in found[0], found


def test_helm_values_use_only_keys_the_charts_define(deployment: Deployment) -> None:
    for chart, release in deployment.releases().items():
        problems, _ = values_problems(chart, release["values"], chart_defaults(chart, release["version"]))
        assert problems == [], chart


def test_values_check_names_a_misspelt_or_mistyped_key() -> None:
    stack = load_stack(PROJECT_DIR, "prod")
    release = for_review(stack)["monitoring"].releases[0]
    values = copy.deepcopy(release.values)
    values["prometheus"]["prometheusSpec"]["retension"] = values["prometheus"]["prometheusSpec"].pop(
        "retention"
    )
    values["grafana"]["sidecar"]["dashboards"]["enabled"] = "yes"
    values["prometheus"]["prometheusSpec"]["ruleSelector"] = {"matchLabel": {"release": "vigie"}}
    problems, _ = values_problems(release.chart, values, chart_defaults(release.chart, release.version))
    assert problems == [
        "grafana.sidecar.dashboards.enabled: str given where the chart has a bool",
        "prometheus.prometheusSpec.ruleSelector.: Additional properties are not allowed ('matchLabel' was "
        "unexpected)",
        "prometheus.prometheusSpec.retension: not a key of kube-prometheus-stack's values (misspelt, or missing "
        "from the allow-list?)",
    ]


def test_every_allow_list_entry_is_needed() -> None:
    used: dict[str, set[str]] = {chart: set() for chart in ALLOWED}
    for name in STACKS:
        for bundle in for_review(load_stack(PROJECT_DIR, name)).values():
            for release in bundle.releases:
                defaults = chart_defaults(release.chart, release.version)
                used[release.chart] |= values_problems(release.chart, release.values, defaults)[1]
    assert used == {chart: set(patterns) for chart, patterns in ALLOWED.items()}


def test_ray_service_deploys_the_serve_config_of_the_local_run(deployment: Deployment) -> None:
    (ray_service,) = deployment.manifests("RayService")
    document = yaml.safe_load(ray_service["spec"]["serveConfigV2"])
    ServeDeploySchema.model_validate(document)
    stack = load_stack(PROJECT_DIR, deployment.stack)
    assert document == serve_document(stack.settings.serving, stack.settings.model, stack.alerts)

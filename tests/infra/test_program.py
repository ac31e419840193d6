"""The Pulumi program under the mock runtime: its components, the objects they declare, the stack outputs."""

from __future__ import annotations

import runpy
from collections import Counter
from typing import Any

import pulumi
import pytest
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings as runtime_settings

from infra.artifacts import prometheus_rule
from infra.components import manifest_set, monitoring, scoring_service
from infra.manifests.concerns import for_review
from infra.manifests.data_volume import needs_data_volume, stack_uris
from infra.manifests.names import endpoints
from infra.settings.errors import SettingsError
from infra.settings.pulumi_config import config_entries
from rules_src.stack import load_stack
from tests.conftest import PROJECT_DIR
from tests.infra.pulumi_run import HELM_RELEASE, RANDOM_PASSWORD, Deployment, RecordingMocks, stack_config

CONCERNS = (
    manifest_set.PUSHGATEWAY, manifest_set.DRIFT_JOBS, manifest_set.DASHBOARDS, manifest_set.RULES,
    manifest_set.BUSINESS_REPORT,
)  # fmt: skip
COMPONENTS = {
    monitoring.TYPE: monitoring.Monitoring,
    scoring_service.TYPE: scoring_service.ScoringService,
    **{concern.type_token: manifest_set.ManifestSet for concern in CONCERNS},
}
DEPLOYED_TYPES = {
    "vigie:index:Monitoring", "vigie:index:ScoringService", "vigie:index:Pushgateway", "vigie:index:DriftJobs",
    "vigie:index:Dashboards", "vigie:index:Rules", "vigie:index:BusinessReport",
}  # fmt: skip
"""The type tokens of deployed stacks: a child's URN embeds its parent's type, so changing one replaces it all."""
STACK_TYPE = "pulumi:pulumi:Stack"


def _key(manifest: dict[str, Any]) -> tuple[str, str, str]:
    metadata = manifest["metadata"]
    return manifest["kind"], metadata.get("namespace", ""), metadata["name"]


def _without_secret_values(manifest: dict[str, Any]) -> dict[str, Any]:
    """A manifest with each Secret value dropped (the program has the value, render a redaction marker)."""
    if manifest["kind"] != "Secret":
        return manifest
    return {**manifest, "stringData": sorted(manifest["stringData"])}


def test_type_tokens_are_those_of_deployed_stacks() -> None:
    assert set(COMPONENTS) == DEPLOYED_TYPES


def _components(stack_name: str) -> list[str]:
    """Every component's type token, less the business report's where the business route has no e-mail (dev)."""
    reported = load_stack(PROJECT_DIR, stack_name).settings.alerting.business_emails()
    return sorted(t for t in COMPONENTS if reported or t != manifest_set.BUSINESS_REPORT.type_token)


def test_components_hang_off_the_stack_and_parent_every_resource(deployment: Deployment) -> None:
    components = {r.name: r.type for r in deployment.registrations if not r.custom}
    assert sorted(components.values()) == _components(deployment.stack)
    assert {r.parent_type for r in deployment.registrations if not r.custom} == {STACK_TYPE}
    for resource in (r for r in deployment.registrations if r.custom):
        owner = next(name for name, type_ in components.items() if type_ == resource.parent_type)
        assert resource.parent_type in COMPONENTS, resource.urn
        assert resource.name.startswith(f"{owner}-"), (
            f"{resource.name} is not named from its component {owner}"
        )


def test_program_declares_exactly_the_objects_render_writes(deployment: Deployment) -> None:
    stack = load_stack(PROJECT_DIR, deployment.stack)
    rendered = [m for bundle in for_review(stack).values() for m in bundle.manifests()]
    rendered.append(prometheus_rule(stack))
    declared = [r.manifest() for r in deployment.kubernetes_objects()]
    assert sorted(map(_key, declared)) == sorted(map(_key, rendered))
    by_key = {_key(m): _without_secret_values(m) for m in rendered}
    for manifest in declared:
        assert _without_secret_values(manifest) == by_key[_key(manifest)], _key(manifest)


def test_helm_releases_are_the_pinned_charts_with_the_rendered_values(deployment: Deployment) -> None:
    stack = load_stack(PROJECT_DIR, deployment.stack)
    expected = {r.chart: r for bundle in for_review(stack).values() for r in bundle.releases}
    declared = deployment.releases()
    assert set(declared) == {"kube-prometheus-stack", "kuberay-operator"} == set(expected)
    for chart, release in expected.items():
        inputs = declared[chart]
        assert (inputs["name"], inputs["namespace"], inputs["version"]) == (
            release.name,
            release.namespace,
            release.version,
        )
        assert inputs["repositoryOpts"] == {"repo": release.repository}
        assert inputs["values"] == release.values
    versions = stack.settings.platform.chart_versions
    assert (declared["kube-prometheus-stack"]["version"], declared["kuberay-operator"]["version"]) == (
        versions.kube_prometheus_stack,
        versions.kuberay_operator,
    )


def test_one_generated_grafana_password_per_stack(deployment: Deployment) -> None:
    passwords = deployment.of_type(RANDOM_PASSWORD)
    assert [(p.inputs["length"], p.inputs["special"]) for p in passwords] == [(32, False)]


def test_stack_outputs_name_the_namespaces_and_endpoints(deployment: Deployment) -> None:
    stack = load_stack(PROJECT_DIR, deployment.stack)
    s = stack.settings
    outputs = deployment.outputs
    assert outputs["namespaces"] == {
        "monitoring": s.monitoring.namespace,
        "scoring": s.serving.namespace,
        "kuberay": s.platform.kuberay_namespace,
    }
    for role, endpoint in endpoints(s.monitoring, s.serving).items():
        assert outputs[role] == endpoint.as_output()
    assert outputs["grafana"]["service"] == "vigie-grafana" and outputs["scoring"]["port"] == 8000
    assert outputs["grafanaUrl"] == str(s.monitoring.grafana_url)
    assert deployment.secret_outputs == {"grafanaAdminPassword"}


def _has_data_volume(stack: str) -> bool:
    """dev keeps its prediction log and reports on the data volume; staging and prod have everything on s3."""
    s = load_stack(PROJECT_DIR, stack).settings
    return needs_data_volume(stack_uris(s.model, s.serving, s.drift))


def test_resources_per_stack(deployment: Deployment) -> None:
    """Every stack declares the same set of objects (the data volume's claim only with relative URIs), and the
    business report's four where the business route has e-mail receivers; only their contents differ with the
    settings."""
    kinds = Counter(r.type.split(":")[-1] for r in deployment.registrations)
    if manifest_set.BUSINESS_REPORT.type_token in _components(deployment.stack):
        report = Counter(
            {"CronJob": 1, "ServiceAccount": 1, "ConfigMap": 1, "NetworkPolicy": 1, "BusinessReport": 1}
        )
        kinds -= report
        assert kinds + report == Counter(r.type.split(":")[-1] for r in deployment.registrations)
    airflow = load_stack(PROJECT_DIR, deployment.stack).settings.drift.scheduler == "airflow"  # a DAG instead
    assert kinds == Counter(
        {
            "ConfigMap": 4 + airflow, "NetworkPolicy": 3, "Namespace": 3, "PersistentVolumeClaim": 1 + _has_data_volume(deployment.stack), "Secret": 3,
            "Release": 2, "RayService": 1, "Ingress": 1, "PodMonitor": 1, "ServiceMonitor": 1, "PrometheusRule": 1,
            "Deployment": 1, "Service": 1, "ServiceAccount": 1, "CronJob": 1 - airflow, "RandomPassword": 1,
            "Role": airflow, "RoleBinding": airflow,  # the DAG's rights to run the drift pod
            **{token.split(":")[-1]: 1 for token in COMPONENTS if token != manifest_set.BUSINESS_REPORT.type_token},
        }
    )  # fmt: skip
    assert len(deployment.of_type(HELM_RELEASE)) == 2


def test_entry_point_exports_the_stack_outputs() -> None:
    """`pulumi up` runs infra/__main__.py: it reads the stack from the runtime config and exports."""
    root = runtime_settings.get_root_resource()
    assert isinstance(root, pulumi.ComponentResource)

    @pulumi.runtime.test
    def run() -> None:
        runpy.run_path(str(PROJECT_DIR / "infra" / "__main__.py"), run_name="__main__")

    root.outputs.clear()  # type: ignore[attr-defined]
    with stack_config("staging"):
        run()
    exported = root.outputs  # type: ignore[attr-defined]
    staging = load_stack(PROJECT_DIR, "staging").settings
    assert sorted(exported) == sorted(
        ["namespaces", *endpoints(staging.monitoring, staging.serving), "grafanaUrl", "grafanaAdminUser",
         "grafanaAdminPassword", "scoringUrl"]
    )  # fmt: skip


def test_entry_point_stops_on_bad_settings_with_one_line_and_declares_nothing(mocks: RecordingMocks) -> None:
    @pulumi.runtime.test
    def run() -> None:
        runpy.run_path(str(PROJECT_DIR / "infra" / "__main__.py"), run_name="__main__")

    mocks.registered.clear()
    with stack_config("prod", {"serving": {"namespace": "Scoring"}}), pytest.raises(pulumi.RunError) as error:
        run()
    assert str(error.value) == (
        "pulumi config of stack prod: vigie:serving.namespace: 'Scoring' is not a DNS-1123 label (lower-case "
        "letters, digits and '-', at most 63)"
    )
    assert mocks.registered == []


@pytest.mark.parametrize("name", ["dev", "staging", "prod"])
def test_render_writes_a_manifest_file_per_concern_and_release(name: str) -> None:
    from infra.artifacts import render_stack

    files = render_stack(load_stack(PROJECT_DIR, name))
    manifests = sorted(path for path in files if path.startswith("manifests/"))
    assert manifests == [
        "manifests/dashboards.yaml",
        "manifests/drift.yaml",
        "manifests/monitoring.yaml",
        "manifests/pushgateway.yaml",
        "manifests/releases/kube-prometheus-stack.yaml",
        "manifests/releases/kuberay-operator.yaml",
        *(["manifests/report.yaml"] if name != "dev" else []),
        "manifests/scoring.yaml",
    ]


def test_the_program_refuses_a_config_namespace_that_misspells_vigie() -> None:
    """As `vigie render` does: `vigi:alerts` would otherwise be ignored, and its overrides with it."""
    with stack_config("prod"):
        runtime_config.set_all_config({**runtime_config.CONFIG.get(), "vigi:alerts": "{}"}, [])
        with pytest.raises(SettingsError) as error:
            config_entries()
    assert (
        str(error.value)
        == "Pulumi config: vigi:alerts: unknown config namespace 'vigi', did you mean 'vigie:alerts'?"
    )

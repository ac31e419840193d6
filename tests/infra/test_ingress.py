"""The scoring API's way in: the Ingress from vigie:platform.scoring.ingress, the body limit it shares with the
service, and the network policy that admits exactly the controller it names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.manifests.concerns import for_review
from infra.manifests.ingress import BODY_SIZE_ANNOTATION
from infra.manifests.names import SERVE_PORT, SERVE_SERVICE
from infra.manifests.selectors import NAMESPACE_NAME_LABEL, pod_selector
from rules_src.stack import Stack, load_stack
from tests.conftest import PROJECT_DIR, STACKS
from tests.infra.k8s_schemas import manifest_problems
from tests.infra.pulumi_run import Deployment
from tests.infra.stack_edits import edit_stack

TRAEFIK = {"className": "traefik", "namespace": "traefik", "podLabels": {"app.kubernetes.io/name": "traefik"}}


def _scoring_objects(stack: Stack) -> dict[str, dict[str, Any]]:
    return {m["kind"]: m for m in for_review(stack)["scoring"].manifests()}


def _admitted_on_serve_port(policy: dict[str, Any]) -> list[dict[str, Any]]:
    """The peers outside the Ray cluster that may open the Serve port."""
    return [
        peer
        for rule in policy["spec"]["ingress"]
        if {"protocol": "TCP", "port": SERVE_PORT} in rule.get("ports", [])
        for peer in rule["from"]
    ]


@pytest.mark.parametrize("name", STACKS)
def test_the_ingress_routes_the_host_over_tls_to_serve_with_the_services_body_limit(name: str) -> None:
    stack = load_stack(PROJECT_DIR, name)
    settings = stack.settings.platform.scoring.ingress
    ingress = _scoring_objects(stack)["Ingress"]
    assert manifest_problems(ingress) == []
    assert ingress["metadata"]["namespace"] == stack.settings.serving.namespace
    assert ingress["metadata"]["annotations"] == {
        BODY_SIZE_ANNOTATION: str(stack.settings.serving.max_request_bytes)
    }
    spec = ingress["spec"]
    assert spec["ingressClassName"] == settings.class_name
    assert spec["tls"] == [{"hosts": [settings.host], "secretName": settings.tls_secret}]
    (rule,) = spec["rules"]
    assert rule["host"] == settings.host
    (path,) = rule["http"]["paths"]
    assert (path["path"], path["pathType"]) == ("/", "Prefix")
    assert path["backend"] == {"service": {"name": SERVE_SERVICE, "port": {"number": SERVE_PORT}}}


def test_the_policy_admits_exactly_the_controller_of_the_ingress_settings(project: Path) -> None:
    """Another controller named in the one setting moves both: the Ingress's class and the peer admitted."""
    for key, value in TRAEFIK.items():
        edit_stack(project / "Pulumi.prod.yaml", "vigie:platform", f"scoring.ingress.{key}", value)
    edit_stack(project / "Pulumi.prod.yaml", "vigie:serving", "maxRequestBytes", 65536)
    objects = _scoring_objects(load_stack(project, "prod"))
    assert objects["Ingress"]["spec"]["ingressClassName"] == "traefik"
    assert objects["Ingress"]["metadata"]["annotations"] == {BODY_SIZE_ANNOTATION: "65536"}
    assert _admitted_on_serve_port(objects["NetworkPolicy"]) == [
        {
            "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: "traefik"}},
            "podSelector": {"matchLabels": TRAEFIK["podLabels"]},
        }
    ]


@pytest.mark.parametrize("name", STACKS)
def test_the_committed_policy_admits_the_committed_controller(name: str) -> None:
    stack = load_stack(PROJECT_DIR, name)
    settings = stack.settings.platform.scoring.ingress
    (peer,) = _admitted_on_serve_port(_scoring_objects(stack)["NetworkPolicy"])
    assert peer["namespaceSelector"] == {"matchLabels": {NAMESPACE_NAME_LABEL: settings.namespace}}
    assert peer["podSelector"] == {"matchLabels": settings.pod_labels}
    assert peer["podSelector"] != {"matchLabels": pod_selector("scoring")}


def test_a_stack_without_a_host_declares_no_ingress(project: Path) -> None:
    edit_stack(project / "Pulumi.prod.yaml", "vigie:platform", "scoring.ingress", {})
    assert "Ingress" not in _scoring_objects(load_stack(project, "prod"))


def test_the_program_declares_the_ingress_the_review_shows(deployment: Deployment) -> None:
    (declared,) = deployment.manifests("Ingress")
    reviewed = _scoring_objects(load_stack(PROJECT_DIR, deployment.stack))["Ingress"]
    assert declared == reviewed


def test_the_program_exports_the_apis_url(deployment: Deployment) -> None:
    host = load_stack(PROJECT_DIR, deployment.stack).settings.platform.scoring.ingress.host
    assert deployment.outputs["scoringUrl"] == f"https://{host}"

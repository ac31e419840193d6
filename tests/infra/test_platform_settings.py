"""Bad vigie:platform settings (and platform rules that span sections): one line naming the key and the rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.manifests.concerns import for_review
from rules_src.stack import load_stack
from tests.conftest import CliRunner
from tests.infra.stack_edits import edit_stack

# (case, config key, dotted path inside it, new value, expected message after "Pulumi.prod.yaml: ")
EDITS: list[tuple[str, str, str, Any, str]] = [
    ("worker too small for a replica's CPUs", "vigie:platform", "scoring.worker", {"cpu": "500m", "memory": "2Gi"},
     "vigie:platform: scoring.worker.cpu (500m) must be at least vigie:serving.resources.cpus (1): each worker "
     "pod hosts one Serve replica"),
    ("worker memory eaten by Ray's object store", "vigie:serving", "resources.memory", "2Gi",
     "vigie:platform: scoring.worker.memory (2Gi) leaves 1434Mi to Ray tasks after its object store (30%), less "
     "than vigie:serving.resources.memory (2Gi); raise it"),
    ("chart version range", "vigie:platform", "chartVersions.kubePrometheusStack", "88.5",
     "vigie:platform.chartVersions.kubePrometheusStack: '88.5' is not an exact chart version (example: 88.5.3)"),
    ("size in the wrong unit", "vigie:platform", "prometheus.storageSize", "50GB",
     "vigie:platform.prometheus.storageSize: '50GB' is not a size in Mi or Gi (examples: 512Mi, 50Gi)"),
    ("zero CPU", "vigie:platform", "alertmanager", {"cpu": "0m", "memory": "256Mi"},
     "vigie:platform.alertmanager.cpu: '0m' is not a CPU quantity above zero (examples: 500m, 1, 1.5)"),
    ("operator in the scoring namespace", "vigie:platform", "kuberayNamespace", "scoring",
     "vigie:platform: kuberayNamespace (scoring) must differ from vigie:serving.namespace and "
     "vigie:monitoring.namespace"),
    ("monitoring in the scoring namespace", "vigie:monitoring", "namespace", "scoring",
     "vigie:platform: vigie:serving.namespace and vigie:monitoring.namespace are both 'scoring': the scoring "
     "namespace enforces the restricted Pod Security level, which the monitoring stack cannot meet"),
    ("unknown platform key", "vigie:platform", "pushgateway.replicas", 2,
     "vigie:platform.pushgateway.replicas: unknown key (known keys here: resources, storageClass, storageSize)"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "key", "path", "value", "message"), EDITS, ids=[e[0] for e in EDITS])
def test_bad_platform_setting_is_one_line_naming_the_key(
    project: Path, vigie: CliRunner, case: str, key: str, path: str, value: Any, message: str
) -> None:
    edit_stack(project / "Pulumi.prod.yaml", key, path, value)
    before = sorted((project / "generated").rglob("*"))
    code, out, err = vigie("--project-dir", project, "render", "--all")
    assert (code, out, err) == (2, "", f"error: Pulumi.prod.yaml: {message}\n")
    assert sorted((project / "generated").rglob("*")) == before


def test_a_stack_can_override_one_platform_value(project: Path, vigie: CliRunner) -> None:
    edit_stack(project / "Pulumi.prod.yaml", "vigie:platform", "chartVersions.kuberayOperator", "1.7.1")
    assert vigie("--project-dir", project, "render", "--stack", "prod")[0] == 0
    release = (
        project / "generated" / "prod" / "manifests" / "releases" / "kuberay-operator.yaml"
    ).read_text()
    assert "version: 1.7.1\n" in release
    monitoring = project / "generated" / "prod" / "manifests" / "releases" / "kube-prometheus-stack.yaml"
    assert "version: 88.5.3\n" in monitoring.read_text()


DIGEST = "@sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    "image",
    [
        f"registry.scoring.internal/vigie:0.1.0{DIGEST}",
        f"registry.scoring.internal/vigie{DIGEST}",
        "registry.scoring.internal:5000/team/vigie:v0.1.0-rc.1",
        "registry.scoring.internal/vigie:3f9c2ab",
    ],
    ids=["tag and digest", "digest", "version tag", "commit id"],
)
def test_an_image_pinned_by_digest_or_release_tag_reaches_the_pods(project: Path, image: str) -> None:
    edit_stack(project / "Pulumi.prod.yaml", "vigie:platform", "images.vigie", image)
    ray_service = next(
        m for m in for_review(load_stack(project, "prod"))["scoring"].manifests() if m["kind"] == "RayService"
    )
    (container,) = ray_service["spec"]["rayClusterConfig"]["headGroupSpec"]["template"]["spec"]["containers"]
    assert container["image"] == image

"""checkov over every object Vigie defines: each stack's generated manifests, and the RayService's head and worker
pod templates written out as the Pods KubeRay makes of them. No failed check; a skip only with its reason here."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from rules_src.stack import load_stack
from tests.conftest import PROJECT_DIR, STACKS

CHECKOV = PROJECT_DIR / ".venv-tools" / "bin" / "checkov"
"""Installed by `make .venv-tools/.installed`, which `make test` runs first."""
CHECKOV_TIMEOUT_S = 300


@dataclass(frozen=True)
class Finding:
    stack: str
    check: str
    resource: str
    images: tuple[str, ...]


@dataclass(frozen=True)
class Skip:
    check: str
    applies: Callable[[Finding], bool]
    reason: str


@cache
def _vigie_image(stack: str) -> str:
    return load_stack(PROJECT_DIR, stack).settings.platform.images.vigie


def _vigie_image_by_tag(finding: Finding) -> bool:
    image = _vigie_image(finding.stack)
    return "@sha256:" not in image and finding.images == (image,)


SKIPS = (
    Skip("CKV_K8S_38", lambda f: f.resource.startswith("Pod.") and f.resource.endswith(".vigie-scoring-head"),
         "the head's service-account token: KubeRay's autoscaler sidecar scales the cluster through the API"),
    Skip("CKV_K8S_43", _vigie_image_by_tag,
         "a stack may name the Vigie image by its immutable release tag until `make image` has pushed it and "
         "its digest exists (the settings refuse `latest` and untagged images)"),
)  # fmt: skip


def _pods(ray_service: dict[str, Any]) -> list[dict[str, Any]]:
    """The head and worker pods as KubeRay creates them from the RayService's templates."""
    cluster = ray_service["spec"]["rayClusterConfig"]
    templates = {"head": cluster["headGroupSpec"]["template"]}
    templates |= {f"{g['groupName']}-worker": g["template"] for g in cluster["workerGroupSpecs"]}
    namespace = ray_service["metadata"]["namespace"]
    return [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                **t["metadata"],
                "name": f"{ray_service['metadata']['name']}-{role}",
                "namespace": namespace,
            },
            "spec": t["spec"],
        }
        for role, t in templates.items()
    ]


def _write_objects(root: Path) -> None:
    for stack in STACKS:
        folder = root / stack
        folder.mkdir(parents=True)
        manifests = sorted((PROJECT_DIR / "generated" / stack / "manifests").glob("*.yaml"))
        for path in manifests:
            shutil.copy(path, folder / path.name)
        documents = [d for path in manifests for d in yaml.safe_load_all(path.read_text()) if d]
        (ray_service,) = [d for d in documents if d["kind"] == "RayService"]
        (folder / "ray-pods.yaml").write_text(yaml.safe_dump_all(_pods(ray_service), sort_keys=False))


def _images(root: Path, stack: str, resource: str) -> tuple[str, ...]:
    """The images of the containers of checkov's `Kind.namespace.name` resource."""
    kind, namespace, name = resource.split(".", 2)
    for path in (root / stack).glob("*.yaml"):
        for d in yaml.safe_load_all(path.read_text()):
            if d and (d["kind"], d["metadata"].get("namespace"), d["metadata"]["name"]) == (
                kind,
                namespace,
                name,
            ):
                return tuple(sorted({c["image"] for c in _containers(d)}))
    return ()


def _containers(obj: Any) -> list[dict[str, Any]]:
    if isinstance(obj, dict):
        found = list(obj.get("containers", [])) + list(obj.get("initContainers", []))
        return found + [
            c for k, v in obj.items() if k not in ("containers", "initContainers") for c in _containers(v)
        ]
    if isinstance(obj, list):
        return [c for v in obj for c in _containers(v)]
    return []


@pytest.fixture(scope="module")
def checkov_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    assert CHECKOV.exists(), f"{CHECKOV} is missing: run `make .venv-tools/.installed`"
    root = tmp_path_factory.mktemp("checkov")
    _write_objects(root)
    began = time.monotonic()
    done = subprocess.run(
        [CHECKOV, "--directory", root, "--framework", "kubernetes", "--output", "json", "--skip-download"],
        capture_output=True, text=True, timeout=CHECKOV_TIMEOUT_S, check=False,
    )  # fmt: skip
    print(f"checkov over {len(STACKS)} stacks: {time.monotonic() - began:.1f}s")
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    return root, report if isinstance(report, dict) else next(
        r for r in report if r["check_type"] == "kubernetes"
    )


def _findings(root: Path, report: dict[str, Any]) -> list[Finding]:
    found = []
    for failed in report["results"]["failed_checks"]:
        stack = Path(failed["file_path"]).parts[1]
        found.append(
            Finding(stack, failed["check_id"], failed["resource"], _images(root, stack, failed["resource"]))
        )
    return found


def test_checkov_finds_no_failed_check_beyond_the_reasoned_skips(
    checkov_report: tuple[Path, dict[str, Any]],
) -> None:
    root, report = checkov_report
    findings = _findings(root, report)
    unexplained = [f for f in findings if not any(s.check == f.check and s.applies(f) for s in SKIPS)]
    assert [(f.stack, f.check, f.resource) for f in unexplained] == []
    assert report["summary"]["passed"] > 500
    used = {s.check for s in SKIPS for f in findings if s.check == f.check and s.applies(f)}
    assert used == {s.check for s in SKIPS}, "a skip no finding needs any more: remove it"


def test_checkov_reads_every_object_vigie_defines(checkov_report: tuple[Path, dict[str, Any]]) -> None:
    """Each stack's Deployment, CronJobs, Ingress and both Ray pods are among the resources checkov judged."""
    _, report = checkov_report
    results = report["results"]
    judged = {
        (Path(r["file_path"]).parts[1], r["resource"])
        for r in results["passed_checks"] + results["failed_checks"]
    }
    for stack in STACKS:
        scoring = load_stack(PROJECT_DIR, stack).settings.serving.namespace
        expected = {f"Pod.{scoring}.vigie-scoring-head", f"Pod.{scoring}.vigie-scoring-scoring-worker",
                    f"Ingress.{scoring}.vigie-scoring"}  # fmt: skip
        assert expected <= {resource for s, resource in judged if s == stack}, stack

"""Pieces every pod template shares: sized resources, HTTP probes, a writable /tmp, storage credentials."""

from __future__ import annotations

from typing import Any

from infra.manifests.object_storage import STORAGE_SECRET
from infra.settings.model import Compute, Platform

TMP_VOLUME = "tmp"
TMP_DIR = "/tmp"
PULL_POLICY = "Always"
"""The kubelet asks the registry for the reference at every start: with a digest it pulls nothing new, with a
version tag it never runs a stale copy the node kept."""


def requirements(compute: Compute) -> dict[str, Any]:
    """Requests equal to limits: a Guaranteed pod, whose size Ray and the scheduler agree on."""
    size = {"cpu": compute.cpu, "memory": compute.memory}
    return {"requests": dict(size), "limits": dict(size)}


def http_probe(path: str, port: int, period: int, failures: int, delay: int = 10) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": port},
        "initialDelaySeconds": delay,
        "periodSeconds": period,
        "timeoutSeconds": 2,
        "failureThreshold": failures,
    }


def tmp_volume() -> dict[str, Any]:
    """A writable /tmp, so the root filesystem can stay read-only."""
    return {"name": TMP_VOLUME, "emptyDir": {}}


def tmp_mount() -> dict[str, Any]:
    return {"name": TMP_VOLUME, "mountPath": TMP_DIR}


def storage_credentials(platform: Platform) -> list[dict[str, Any]]:
    """envFrom of the stack's object-storage Secret, for a stack with vigie:platform.objectStorage."""
    return [{"secretRef": {"name": STORAGE_SECRET}}] if platform.object_storage else []

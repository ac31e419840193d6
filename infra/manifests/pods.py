"""Pieces every pod template shares: sized resources, HTTP probes, a writable /tmp, the storage credentials file."""

from __future__ import annotations

from typing import Any

from infra.manifests.object_storage import CREDENTIALS_DIR, STORAGE_SECRET, storage_environment
from infra.settings.model import Compute, Platform

TMP_VOLUME = "tmp"
STORAGE_VOLUME = "storage-credentials"
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


def storage_env(platform: Platform) -> list[dict[str, Any]]:
    """The plain variables botocore reads s3:// with (the credentials file's path, endpoint, region), for a stack
    with vigie:platform.objectStorage."""
    storage = platform.object_storage
    env = storage_environment(storage) if storage is not None else {}
    return [{"name": name, "value": value} for name, value in env.items()]


def storage_volumes(platform: Platform) -> list[dict[str, Any]]:
    """The stack's object-storage Secret as a volume: its file owned by root, readable by the pod's fsGroup only."""
    secret = {"secretName": STORAGE_SECRET, "defaultMode": 0o440}
    return [{"name": STORAGE_VOLUME, "secret": secret}] if platform.object_storage else []


def storage_mounts(platform: Platform) -> list[dict[str, Any]]:
    mount = {"name": STORAGE_VOLUME, "mountPath": CREDENTIALS_DIR, "readOnly": True}
    return [mount] if platform.object_storage else []

"""Where relative URIs live in the cluster: one ReadWriteMany volume shared by the scoring pods and the drift job.

Locally, a relative URI (run/model, run/predictions, run/drift-reports) is under the project; in the cluster
it is under DATA_DIR on this volume. fsspec URIs (s3://…) and absolute paths are used as they are.
"""

from __future__ import annotations

import posixpath
from typing import Any

from infra.labels import common_labels
from infra.manifests.names import DATA_CLAIM
from infra.settings.types import is_relative_location
from rules_src.stack import Stack

DATA_DIR = "/var/lib/vigie"
DATA_VOLUME = "data"


def in_cluster(uri: str) -> str:
    """The URI a pod uses: relative paths resolved under DATA_DIR."""
    return posixpath.normpath(posixpath.join(DATA_DIR, uri)) if is_relative_location(uri) else uri


def stack_uris(stack: Stack) -> tuple[str, ...]:
    """Every storage location of the stack: model artifact, prediction log, drift reports."""
    s = stack.settings
    return (s.model.artifact_uri, s.serving.prediction_log.uri, s.drift.reports_uri)


def needs_data_volume(stack: Stack) -> bool:
    return any(is_relative_location(uri) for uri in stack_uris(stack))


def data_claim(stack: Stack) -> dict[str, Any]:
    volume = stack.settings.platform.data_volume
    spec: dict[str, Any] = {
        "accessModes": ["ReadWriteMany"],
        "resources": {"requests": {"storage": volume.size}},
    }
    if volume.storage_class:
        spec["storageClassName"] = volume.storage_class
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": DATA_CLAIM,
            "namespace": stack.settings.serving.namespace,
            "labels": common_labels(stack.name, "data"),
        },
        "spec": spec,
    }


def data_volumes(stack: Stack) -> list[dict[str, Any]]:
    if not needs_data_volume(stack):
        return []
    return [{"name": DATA_VOLUME, "persistentVolumeClaim": {"claimName": DATA_CLAIM}}]


def data_mounts(stack: Stack) -> list[dict[str, Any]]:
    return [{"name": DATA_VOLUME, "mountPath": DATA_DIR}] if needs_data_volume(stack) else []

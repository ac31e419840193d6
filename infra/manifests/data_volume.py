"""Where relative URIs live in the cluster: one ReadWriteMany volume shared by the scoring pods and the drift job.

Locally, a relative URI (run/model, run/predictions, run/drift-reports) is under the project; in the cluster
it is under DATA_DIR on this volume. fsspec URIs (s3://…) and absolute paths are used as they are. The volume binds
only with a ReadWriteMany class, so settings refuse relative URIs without vigie:platform.dataVolume.storageClass
(infra.settings.validation).
"""

from __future__ import annotations

import posixpath
from typing import Any, NamedTuple

from infra.labels import common_labels
from infra.manifests.names import DATA_CLAIM
from infra.settings.model import DataVolume, Drift, Model, Serving
from infra.settings.types import is_relative_location

DATA_DIR = "/var/lib/vigie"
DATA_VOLUME = "data"


class StackUris(NamedTuple):
    """Every storage location of the stack; the volume exists when any of them is relative."""

    model: str
    prediction_log: str
    drift_reports: str


def in_cluster(uri: str) -> str:
    """The URI a pod uses: relative paths resolved under DATA_DIR."""
    return posixpath.normpath(posixpath.join(DATA_DIR, uri)) if is_relative_location(uri) else uri


def stack_uris(model: Model, serving: Serving, drift: Drift) -> StackUris:
    return StackUris(model.artifact_uri, serving.prediction_log.uri, drift.reports_uri)


def needs_data_volume(uris: StackUris) -> bool:
    return any(is_relative_location(uri) for uri in uris)


def data_claim(stack_name: str, namespace: str, volume: DataVolume) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "accessModes": ["ReadWriteMany"],
        "resources": {"requests": {"storage": volume.size}},
    }
    if volume.storage_class:
        spec["storageClassName"] = volume.storage_class
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": DATA_CLAIM, "namespace": namespace, "labels": common_labels(stack_name, "data")},
        "spec": spec,
    }


def data_volumes(uris: StackUris) -> list[dict[str, Any]]:
    if not needs_data_volume(uris):
        return []
    return [{"name": DATA_VOLUME, "persistentVolumeClaim": {"claimName": DATA_CLAIM}}]


def data_mounts(uris: StackUris) -> list[dict[str, Any]]:
    return [{"name": DATA_VOLUME, "mountPath": DATA_DIR}] if needs_data_volume(uris) else []

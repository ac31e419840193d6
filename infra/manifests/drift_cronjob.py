"""The drift job on Kubernetes: `vigie drift run` on the drift schedule, with its own ServiceAccount holding no
API rights, the stack's settings mounted as the Pulumi.<stack>.yaml the command reads, and storage by URI.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.labels import common_labels
from infra.manifests.data_volume import StackUris, data_mounts, data_volumes, in_cluster
from infra.manifests.names import DRIFT_JOB, DRIFT_SETTINGS
from infra.manifests.pods import (
    PULL_POLICY,
    TMP_DIR,
    requirements,
    storage_env,
    storage_mounts,
    storage_volumes,
    tmp_mount,
    tmp_volume,
)
from infra.manifests.security import VIGIE_GROUP, VIGIE_USER, container_security, pod_security
from infra.serialize import to_yaml
from infra.settings.errors import NAMESPACE
from infra.settings.loader import stack_file
from infra.settings.model import Drift, Platform, StackSettings

COMPONENT = "drift"
CONTAINER = "drift"
SETTINGS_DIR = "/etc/vigie"
SETTINGS_VOLUME = "settings"
TIME_ZONE = "Etc/UTC"
"""The schedule is read in UTC, like the drift window and the reports' run ids."""


@dataclass(frozen=True)
class DriftJobSlice:
    """What the drift job's objects read: its stack, the scoring namespace it runs in, where it pushes its
    results, its schedule, its pods' platform settings and the storage it reads and writes."""

    stack_name: str
    namespace: str
    pushgateway_url: str
    drift: Drift
    platform: Platform
    uris: StackUris


def _metadata(job: DriftJobSlice, name: str) -> dict[str, Any]:
    return {"name": name, "namespace": job.namespace, "labels": common_labels(job.stack_name, COMPONENT)}


def stack_file_document(settings: StackSettings) -> dict[str, Any]:
    """The stack's clear settings as a Pulumi.<stack>.yaml: what was set, nothing defaulted, no secret."""
    values = settings.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return {"config": {f"{NAMESPACE}:{key}": value for key, value in values.items()}}


def drift_service_account(job: DriftJobSlice) -> dict[str, Any]:
    return tokenless_service_account(_metadata(job, DRIFT_JOB))


def tokenless_service_account(metadata: dict[str, Any]) -> dict[str, Any]:
    """A job's own ServiceAccount: no Role is bound to it and no token is mounted, as the job never talks to the
    Kubernetes API."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": metadata,
        "automountServiceAccountToken": False,
    }


def settings_config_map(metadata: dict[str, Any], stack_name: str, settings: StackSettings) -> dict[str, Any]:
    """The ConfigMap a job mounts at SETTINGS_DIR: the stack's settings as the Pulumi.<stack>.yaml that
    `vigie --project-dir SETTINGS_DIR …` loads and validates."""
    file_name = stack_file(Path(SETTINGS_DIR), stack_name).name
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata,
        "data": {file_name: to_yaml(stack_file_document(settings))},
    }


def drift_settings(job: DriftJobSlice, settings: StackSettings) -> dict[str, Any]:
    """The settings file `vigie drift run` reads; it holds every section, hence the whole `settings`."""
    return settings_config_map(_metadata(job, DRIFT_SETTINGS), job.stack_name, settings)


def drift_command(job: DriftJobSlice) -> list[str]:
    """The drift engineer's CLI, with each storage URI as the pod sees it."""
    return [
        "vigie", "--project-dir", SETTINGS_DIR, "drift", "run", "--stack", job.stack_name,
        "--pushgateway", job.pushgateway_url,
        "--log-uri", in_cluster(job.uris.prediction_log),
        "--model-uri", in_cluster(job.uris.model),
        "--output-uri", in_cluster(job.uris.drift_reports),
    ]  # fmt: skip


def _container(job: DriftJobSlice) -> dict[str, Any]:
    return {
        "name": CONTAINER,
        "image": job.platform.images.vigie,
        "imagePullPolicy": PULL_POLICY,
        "command": drift_command(job),
        "env": [{"name": "HOME", "value": TMP_DIR}, *storage_env(job.platform)],
        "resources": requirements(job.platform.drift_job.resources),
        "securityContext": container_security(),
        "volumeMounts": [
            {"name": SETTINGS_VOLUME, "mountPath": SETTINGS_DIR, "readOnly": True},
            tmp_mount(),
            *data_mounts(job.uris),
            *storage_mounts(job.platform),
        ],
    }


def drift_pod(job: DriftJobSlice) -> dict[str, Any]:
    """A batch pod: bounded by a deadline rather than probed; it serves nothing to be ready for. The CronJob's
    template, and the drift DAG's pod."""
    return {
        "metadata": {"labels": common_labels(job.stack_name, COMPONENT)},
        "spec": {
            "serviceAccountName": DRIFT_JOB,
            "automountServiceAccountToken": False,
            "restartPolicy": "Never",
            "securityContext": pod_security(VIGIE_USER, VIGIE_GROUP),
            "containers": [_container(job)],
            "volumes": [
                {"name": SETTINGS_VOLUME, "configMap": {"name": DRIFT_SETTINGS}},
                tmp_volume(),
                *data_volumes(job.uris),
                *storage_volumes(job.platform),
            ],
        },
    }


def drift_cron_job(job: DriftJobSlice) -> dict[str, Any]:
    """One run at a time (Forbid): a slow run is never overlapped by the next one on the same window."""
    pods = job.platform.drift_job
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": _metadata(job, DRIFT_JOB),
        "spec": {
            "schedule": job.drift.schedule,
            "timeZone": TIME_ZONE,
            "concurrencyPolicy": "Forbid",
            "successfulJobsHistoryLimit": pods.history_limit,
            "failedJobsHistoryLimit": pods.history_limit,
            "jobTemplate": {
                "metadata": {"labels": common_labels(job.stack_name, COMPONENT)},
                "spec": {
                    "backoffLimit": pods.backoff_limit,
                    "activeDeadlineSeconds": int(pods.active_deadline.seconds),
                    "template": drift_pod(job),
                },
            },
        },
    }

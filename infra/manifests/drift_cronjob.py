"""The drift job on Kubernetes: `vigie drift run` on the drift schedule, with its own ServiceAccount holding no
API rights, the stack's settings mounted as the Pulumi.<stack>.yaml the command reads, and storage by URI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from infra.labels import common_labels
from infra.manifests.data_volume import data_mounts, data_volumes, in_cluster
from infra.manifests.names import DRIFT_JOB, DRIFT_SETTINGS, endpoints
from infra.manifests.pods import TMP_DIR, requirements, storage_credentials, tmp_mount, tmp_volume
from infra.manifests.security import VIGIE_GROUP, VIGIE_USER, container_security, pod_security
from infra.serialize import to_yaml
from infra.settings.errors import NAMESPACE
from infra.settings.loader import stack_file
from rules_src.stack import Stack

COMPONENT = "drift"
SETTINGS_DIR = "/etc/vigie"
SETTINGS_VOLUME = "settings"
TIME_ZONE = "Etc/UTC"
"""The schedule is read in UTC, like the drift window and the reports' run ids."""


def _metadata(stack: Stack, name: str) -> dict[str, Any]:
    namespace = stack.settings.serving.namespace
    return {"name": name, "namespace": namespace, "labels": common_labels(stack.name, COMPONENT)}


def stack_file_document(stack: Stack) -> dict[str, Any]:
    """The stack's clear settings as a Pulumi.<stack>.yaml: what was set, nothing defaulted, no secret."""
    settings = stack.settings.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return {"config": {f"{NAMESPACE}:{key}": value for key, value in settings.items()}}


def drift_service_account(stack: Stack) -> dict[str, Any]:
    """No Role is bound to it and no token is mounted: the job never talks to the Kubernetes API."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _metadata(stack, DRIFT_JOB),
        "automountServiceAccountToken": False,
    }


def drift_settings(stack: Stack) -> dict[str, Any]:
    """The settings file `vigie --project-dir SETTINGS_DIR drift run` loads and validates."""
    file_name = stack_file(Path(SETTINGS_DIR), stack.name).name
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _metadata(stack, DRIFT_SETTINGS),
        "data": {file_name: to_yaml(stack_file_document(stack))},
    }


def drift_command(stack: Stack) -> list[str]:
    """The drift engineer's CLI, with each storage URI as the pod sees it."""
    s = stack.settings
    return [
        "vigie", "--project-dir", SETTINGS_DIR, "drift", "run", "--stack", stack.name,
        "--pushgateway", endpoints(stack)["pushgateway"].url,
        "--log-uri", in_cluster(s.serving.prediction_log.uri),
        "--model-uri", in_cluster(s.model.artifact_uri),
        "--output-uri", in_cluster(s.drift.reports_uri),
    ]  # fmt: skip


def _container(stack: Stack) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "drift",
        "image": stack.settings.platform.images.vigie,
        "imagePullPolicy": "IfNotPresent",
        "command": drift_command(stack),
        "env": [{"name": "HOME", "value": TMP_DIR}],
        "resources": requirements(stack.settings.platform.drift_job.resources),
        "securityContext": container_security(),
        "volumeMounts": [
            {"name": SETTINGS_VOLUME, "mountPath": SETTINGS_DIR, "readOnly": True},
            tmp_mount(),
            *data_mounts(stack),
        ],
    }
    credentials = storage_credentials(stack)
    if credentials:
        container["envFrom"] = credentials
    return container


def _pod(stack: Stack) -> dict[str, Any]:
    """A batch pod: bounded by activeDeadlineSeconds rather than probed; it serves nothing to be ready for."""
    return {
        "metadata": {"labels": common_labels(stack.name, COMPONENT)},
        "spec": {
            "serviceAccountName": DRIFT_JOB,
            "automountServiceAccountToken": False,
            "restartPolicy": "Never",
            "securityContext": pod_security(VIGIE_USER, VIGIE_GROUP),
            "containers": [_container(stack)],
            "volumes": [
                {"name": SETTINGS_VOLUME, "configMap": {"name": DRIFT_SETTINGS}},
                tmp_volume(),
                *data_volumes(stack),
            ],
        },
    }


def drift_cron_job(stack: Stack) -> dict[str, Any]:
    """One run at a time (Forbid): a slow run is never overlapped by the next one on the same window."""
    job = stack.settings.platform.drift_job
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": _metadata(stack, DRIFT_JOB),
        "spec": {
            "schedule": stack.settings.drift.schedule,
            "timeZone": TIME_ZONE,
            "concurrencyPolicy": "Forbid",
            "successfulJobsHistoryLimit": job.history_limit,
            "failedJobsHistoryLimit": job.history_limit,
            "jobTemplate": {
                "metadata": {"labels": common_labels(stack.name, COMPONENT)},
                "spec": {
                    "backoffLimit": job.backoff_limit,
                    "activeDeadlineSeconds": int(job.active_deadline.seconds),
                    "template": _pod(stack),
                },
            },
        },
    }

"""The weekly business report on Kubernetes: `vigie report business` on the report schedule, in the monitoring
namespace beside Prometheus and the Alertmanager credentials Secret, whose SMTP password keys (and only those)
it mounts as files. Same image and security as the drift job, its own ServiceAccount with no API rights, the
stack's settings mounted as the Pulumi.<stack>.yaml the command reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra.labels import common_labels
from infra.manifests.drift_cronjob import (
    SETTINGS_DIR,
    SETTINGS_VOLUME,
    TIME_ZONE,
    settings_config_map,
    tokenless_service_account,
)
from infra.manifests.names import REPORT_JOB, REPORT_SETTINGS
from infra.manifests.pods import PULL_POLICY, TMP_DIR, requirements, tmp_mount, tmp_volume
from infra.manifests.security import VIGIE_GROUP, VIGIE_USER, container_security, pod_security
from infra.settings.model import Platform, Report, StackSettings
from rules_src.alertmanager import CREDENTIALS_SECRET

COMPONENT = "report"
SECRETS_DIR = "/etc/vigie-secrets"
SECRETS_VOLUME = "smtp-passwords"
BACKOFF_LIMIT = 2
"""A Prometheus or SMTP server briefly away gets two more tries."""
ACTIVE_DEADLINE_S = 900
"""A run takes seconds; one hanging on a server is stopped well before anyone reads the mail."""
HISTORY_LIMIT = 3


@dataclass(frozen=True)
class ReportJobSlice:
    """What the report's objects read: its stack, the monitoring namespace, where Prometheus answers, its
    schedule, the secret keys of the business receivers' SMTP passwords, and the image and size of its pod."""

    stack_name: str
    namespace: str
    prometheus_url: str
    report: Report
    password_keys: tuple[str, ...]
    platform: Platform


def _metadata(job: ReportJobSlice, name: str) -> dict[str, Any]:
    return {"name": name, "namespace": job.namespace, "labels": common_labels(job.stack_name, COMPONENT)}


def report_service_account(job: ReportJobSlice) -> dict[str, Any]:
    return tokenless_service_account(_metadata(job, REPORT_JOB))


def report_settings(job: ReportJobSlice, settings: StackSettings) -> dict[str, Any]:
    """The settings file `vigie report business` reads."""
    return settings_config_map(_metadata(job, REPORT_SETTINGS), job.stack_name, settings)


def report_command(job: ReportJobSlice) -> list[str]:
    return [
        "vigie", "--project-dir", SETTINGS_DIR, "report", "business", "--stack", job.stack_name,
        "--prometheus", job.prometheus_url, "--secrets-dir", SECRETS_DIR,
    ]  # fmt: skip


def _pod(job: ReportJobSlice) -> dict[str, Any]:
    container = {
        "name": "report",
        "image": job.platform.images.vigie,
        "imagePullPolicy": PULL_POLICY,
        "command": report_command(job),
        "env": [{"name": "HOME", "value": TMP_DIR}],
        "resources": requirements(job.platform.report_job),
        "securityContext": container_security(),
        "volumeMounts": [
            {"name": SETTINGS_VOLUME, "mountPath": SETTINGS_DIR, "readOnly": True},
            {"name": SECRETS_VOLUME, "mountPath": SECRETS_DIR, "readOnly": True},
            tmp_mount(),
        ],
    }
    passwords = [{"key": key, "path": key} for key in job.password_keys]
    return {
        "metadata": {"labels": common_labels(job.stack_name, COMPONENT)},
        "spec": {
            "serviceAccountName": REPORT_JOB,
            "automountServiceAccountToken": False,
            "restartPolicy": "Never",
            "securityContext": pod_security(VIGIE_USER, VIGIE_GROUP),
            "containers": [container],
            "volumes": [
                {"name": SETTINGS_VOLUME, "configMap": {"name": REPORT_SETTINGS}},
                {"name": SECRETS_VOLUME, "secret": {"secretName": CREDENTIALS_SECRET, "items": passwords}},
                tmp_volume(),
            ],
        },
    }


def report_cron_job(job: ReportJobSlice) -> dict[str, Any]:
    """One run at a time (Forbid), so a slow run never mails the same week twice at once."""
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": _metadata(job, REPORT_JOB),
        "spec": {
            "schedule": job.report.schedule,
            "timeZone": TIME_ZONE,
            "concurrencyPolicy": "Forbid",
            "successfulJobsHistoryLimit": HISTORY_LIMIT,
            "failedJobsHistoryLimit": HISTORY_LIMIT,
            "jobTemplate": {
                "metadata": {"labels": common_labels(job.stack_name, COMPONENT)},
                "spec": {
                    "backoffLimit": BACKOFF_LIMIT,
                    "activeDeadlineSeconds": ACTIVE_DEADLINE_S,
                    "template": _pod(job),
                },
            },
        },
    }

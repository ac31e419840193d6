"""The two Secrets of the monitoring namespace: receiver credentials for Alertmanager, Grafana's admin login.

Values are passed in: Pulumi secrets when the program runs, redaction markers when `vigie render` writes
them, so the same builder serves both and no clear value ever reaches this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from infra.labels import common_labels
from infra.manifests.monitoring_values import ADMIN_PASSWORD_KEY, ADMIN_USER_KEY
from infra.manifests.names import GRAFANA_ADMIN_SECRET, GRAFANA_ADMIN_USER
from rules_src.alertmanager import CREDENTIALS_SECRET


def _secret(
    stack_name: str, namespace: str, name: str, component: str, data: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace, "labels": common_labels(stack_name, component)},
        "type": "Opaque",
        "stringData": dict(data),
    }


def credentials_secret(
    stack_name: str, namespace: str, keys: Sequence[str], values: Mapping[str, Any]
) -> dict[str, Any]:
    """One key per secret config key the receivers name (`keys`); Alertmanager reads each as a file."""
    missing = sorted(set(keys) - set(values))
    if missing:
        raise ValueError(f"stack {stack_name}: no value given for secret keys {missing}")
    return _secret(stack_name, namespace, CREDENTIALS_SECRET, "alertmanager", {k: values[k] for k in keys})


def grafana_admin_secret(stack_name: str, namespace: str, password: Any) -> dict[str, Any]:
    return _secret(
        stack_name,
        namespace,
        GRAFANA_ADMIN_SECRET,
        "grafana",
        {ADMIN_USER_KEY: GRAFANA_ADMIN_USER, ADMIN_PASSWORD_KEY: password},
    )


def redacted_credentials(keys: Sequence[str]) -> dict[str, str]:
    """What `vigie render` shows in place of each credential."""
    return {key: f"<redacted: pulumi secret vigie:{key}>" for key in keys}


REDACTED_GRAFANA_PASSWORD = "<redacted: generated at deploy time by random.RandomPassword>"

"""The stack's object-storage Secret: what the scoring pods and the drift job read s3:// URIs with.

The credentials come in as values: Pulumi secrets when the program runs, redaction markers when `vigie render`
writes them, so no clear value reaches this module. Each key is an environment variable botocore reads, so the
pods take the whole Secret with envFrom and s3fs needs no option of ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infra.labels import common_labels
from infra.settings.model import ObjectStorage

STORAGE_SECRET = "vigie-storage-credentials"
ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID"
SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY"
ENDPOINT_URL = "AWS_ENDPOINT_URL"
REGION = "AWS_DEFAULT_REGION"


def storage_environment(storage: ObjectStorage, values: Mapping[str, Any]) -> dict[str, Any]:
    """The environment a pod reads s3:// with: the two credentials from `values` (by secret config key), the
    endpoint and the region when set."""
    env: dict[str, Any] = {
        ACCESS_KEY_ID: values[storage.access_key_id_secret],
        SECRET_ACCESS_KEY: values[storage.secret_access_key_secret],
    }
    if storage.endpoint_url is not None:
        env[ENDPOINT_URL] = str(storage.endpoint_url).rstrip("/")
    if storage.region is not None:
        env[REGION] = storage.region
    return env


def storage_secret(
    stack_name: str, namespace: str, storage: ObjectStorage, values: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": STORAGE_SECRET,
            "namespace": namespace,
            "labels": common_labels(stack_name, "storage"),
        },
        "type": "Opaque",
        "stringData": storage_environment(storage, values),
    }


def redacted_storage_credentials(storage: ObjectStorage) -> dict[str, str]:
    """What `vigie render` shows in place of each credential."""
    return {key: f"<redacted: pulumi secret vigie:{key}>" for key in storage.secret_keys()}

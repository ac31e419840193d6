"""The stack's object-storage Secret: what the scoring pods and the drift job read s3:// URIs with.

The credentials come in as values: Pulumi secrets when the program runs, redaction markers when `vigie render`
writes them, so no clear value reaches this module. The Secret holds one key, a botocore shared-credentials
file, which the pods mount read-only (checkov's CKV_K8S_35: a file, not environment variables);
AWS_SHARED_CREDENTIALS_FILE points botocore at it, so s3fs needs no option of ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infra.labels import common_labels
from infra.settings.model import ObjectStorage

STORAGE_SECRET = "vigie-storage-credentials"
CREDENTIALS_KEY = "credentials"
CREDENTIALS_DIR = "/var/run/secrets/vigie/storage"
CREDENTIALS_FILE = f"{CREDENTIALS_DIR}/{CREDENTIALS_KEY}"
SHARED_CREDENTIALS_FILE = "AWS_SHARED_CREDENTIALS_FILE"
ENDPOINT_URL = "AWS_ENDPOINT_URL"
REGION = "AWS_DEFAULT_REGION"


def credentials_file(storage: ObjectStorage, values: Mapping[str, str]) -> str:
    """The shared-credentials file's text, from `values` by secret config key. Called on plain strings: by the
    Pulumi program inside an Output's apply (the result stays secret), by `vigie render` on redaction markers."""
    return (
        "[default]\n"
        f"aws_access_key_id = {values[storage.access_key_id_secret]}\n"
        f"aws_secret_access_key = {values[storage.secret_access_key_secret]}\n"
    )


def storage_environment(storage: ObjectStorage, credentials_path: str = CREDENTIALS_FILE) -> dict[str, str]:
    """The plain environment a pod reads s3:// with: where the credentials file is, the endpoint and the region
    when set. None of it is secret."""
    env = {SHARED_CREDENTIALS_FILE: credentials_path}
    if storage.endpoint_url is not None:
        env[ENDPOINT_URL] = str(storage.endpoint_url).rstrip("/")
    if storage.region is not None:
        env[REGION] = storage.region
    return env


def storage_secret(stack_name: str, namespace: str, credentials: Any) -> dict[str, Any]:
    """`credentials`: the file's text, a secret Output in the program or a redacted string in `vigie render`."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": STORAGE_SECRET,
            "namespace": namespace,
            "labels": common_labels(stack_name, "storage"),
        },
        "type": "Opaque",
        "stringData": {CREDENTIALS_KEY: credentials},
    }


def redacted_storage_credentials(storage: ObjectStorage) -> str:
    """What `vigie render` shows in place of the credentials file: the file with a marker for each value."""
    markers = {key: f"<redacted: pulumi secret vigie:{key}>" for key in storage.secret_keys()}
    return credentials_file(storage, markers)

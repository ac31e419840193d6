"""Object-storage fixtures (a plugin of tests/conftest.py): moto's standalone S3 server on loopback, the only
stand-in for S3, started once per session from its own virtual environment (`make .venv-moto/.installed`; its
botocore pins clash with s3fs's), bounded by a start-up timeout and stopped by its PID."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fsspec
import pytest

from infra.local.process import LOOPBACK, free_port, start, stop
from infra.manifests.object_storage import CREDENTIALS_KEY, credentials_file, storage_environment
from infra.settings.model import ObjectStorage

MOTO_SERVER = Path(__file__).resolve().parents[1] / ".venv-moto" / "bin" / "moto_server"
ACCESS_KEY = "moto-access-key"
SECRET_KEY = "moto-secret-key-CANARY"
"""moto accepts any credentials; the canary lets tests check the secret is never printed."""


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def storage(self) -> ObjectStorage:
        """vigie:platform.objectStorage pointed at this server, its credentials under the stacks' secret keys."""
        return ObjectStorage.model_validate(
            {"endpointUrl": self.endpoint, "region": "us-east-1", "accessKeyIdSecret": "storageAccessKeyId",
             "secretAccessKeySecret": "storageSecretAccessKey"}
        )  # fmt: skip

    def credentials_file(self) -> str:
        """The storage Secret's file (infra.manifests.object_storage), with this server's credentials."""
        return credentials_file(self.storage(), {"storageAccessKeyId": ACCESS_KEY,
                                                 "storageSecretAccessKey": SECRET_KEY})  # fmt: skip

    def options(self) -> dict[str, Any]:
        return {"key": ACCESS_KEY, "secret": SECRET_KEY, "client_kwargs": {"endpoint_url": self.endpoint}}

    def filesystem(self) -> fsspec.AbstractFileSystem:
        return fsspec.filesystem("s3", skip_instance_cache=True, **self.options())


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    assert MOTO_SERVER.exists(), f"{MOTO_SERVER} is missing: run `make .venv-moto/.installed`"
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    running = start("moto", [str(MOTO_SERVER), "-H", LOOPBACK, "-p", str(port)], log,
                    f"http://{LOOPBACK}:{port}/moto-api/", timeout=30.0)  # fmt: skip
    try:
        yield S3Server(f"http://{LOOPBACK}:{port}")
    finally:
        stop(running.pid)


@pytest.fixture
def bucket(s3_server: S3Server) -> str:
    """A new, empty bucket of the session's server."""
    name = f"vigie-test-{uuid.uuid4().hex[:12]}"
    s3_server.filesystem().mkdir(name)
    return name


@pytest.fixture
def s3_environment(
    s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """This process as a pod with the stack's Secret mounted: the credentials file, and the plain environment
    pointing botocore at it (the pods' own, infra.manifests.object_storage), which s3fs reads with no option
    given. No credential is left in the environment, and fsspec's instance cache is cleared so no filesystem
    made before keeps other credentials."""
    path = tmp_path_factory.mktemp("storage") / CREDENTIALS_KEY
    path.write_text(s3_server.credentials_file())
    path.chmod(0o400)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    environment = storage_environment(s3_server.storage(), str(path))
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    fsspec.filesystem("s3").clear_instance_cache()
    return environment

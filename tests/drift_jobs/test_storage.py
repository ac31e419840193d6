"""The drift job on object storage (moto's S3 server), reached with the credentials file the stack's Secret mounts
in a pod: the artifact read back, the reports published as one folder and replaced by a rerun."""

from __future__ import annotations

from pathlib import Path

from botocore.session import Session

from drift_jobs.model_artifact import read_model_artifact
from drift_jobs.publish import publish
from tests.drift_fixtures import Dataset
from tests.object_storage_fixtures import S3Server


def test_the_drift_job_reads_an_artifact_on_s3(
    shared_dataset: Dataset, s3_server: S3Server, bucket: str, s3_environment: dict[str, str]
) -> None:
    """botocore (s3fs's) finds the credentials in the mounted file, none in the environment."""
    assert Session().get_credentials().method == "shared-credentials-file"
    s3_server.filesystem().put(str(shared_dataset.model), f"{bucket}/model", recursive=True)
    on_s3 = read_model_artifact(f"s3://{bucket}/model")
    assert on_s3 == read_model_artifact(str(shared_dataset.model))


def test_reports_published_on_s3_replace_the_runs_folder_whole(
    tmp_path: Path, s3_server: S3Server, bucket: str, s3_environment: dict[str, str]
) -> None:
    """s3 has no folders to rename: a rerun of the same window leaves exactly its own files, and no staging."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (first / "data_drift.html").write_text("first")
    (first / "stale.html").write_text("only in the first run")
    (second / "data_drift.html").write_text("second")
    reports = f"s3://{bucket}/drift"
    assert publish(first, reports, "prod", "20261126T030000Z") == f"{reports}/prod/20261126T030000Z"
    publish(second, reports, "prod", "20261126T030000Z")
    fs = s3_server.filesystem()
    assert fs.find(f"{bucket}/drift") == [f"{bucket}/drift/prod/20261126T030000Z/data_drift.html"]
    assert fs.cat_file(f"{bucket}/drift/prod/20261126T030000Z/data_drift.html") == b"second"

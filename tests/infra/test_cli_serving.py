"""`vigie model …` (publish through a local S3 server) and `vigie serve …` without Ray: what they write and print; one-line errors (exit 2)."""

from __future__ import annotations

import socket
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from ray.serve.schema import ServeDeploySchema

from conventions.artifact_format import LABEL_COLUMNS, LABELS_DIR, METADATA_FILE, MODEL_FILE, ModelMetadata
from serving.artifact import ARTIFACT_FILES, PUBLICATION_FILE, Artifact, Publication
from serving.prediction_log import LogOptions, PredictionLogWriter
from serving.schema import Applicant
from serving.scorer import Scorer
from tests.conftest import PROJECT_DIR, CliRunner
from tests.infra.stack_edits import edit_stack
from tests.object_storage_fixtures import ACCESS_KEY, SECRET_KEY, S3Server

LOCAL_MODEL = "run/object-storage/s3/vigie-dev/models/credit-lgbm-2026.11.0"
"""dev's s3://vigie-dev/models/credit-lgbm-2026.11.0 as local runs keep it."""


def test_model_train_writes_the_artifact_where_local_runs_keep_the_settings_uri(
    project: Path, vigie: CliRunner
) -> None:
    code, out, err = vigie("--project-dir", project, "model", "train", "--stack", "dev")
    assert (code, err) == (0, "")
    metadata = ModelMetadata.model_validate_json((project / LOCAL_MODEL / METADATA_FILE).read_text())
    assert metadata.version == "credit-lgbm-2026.11.0"
    assert out.startswith(
        f"trained credit-lgbm-2026.11.0: AUC {metadata.reference_auc:.3f}, θ* {metadata.threshold:.3f}"
    )
    assert out.endswith(f"wrote {project / LOCAL_MODEL}\n")


def test_model_train_takes_another_folder_version_and_costs(project: Path, vigie: CliRunner) -> None:
    edit_stack(project / "Pulumi.dev.yaml", "vigie:model", "costFalseNegative", 25)
    code, _, _ = vigie(
        "--project-dir", project, "model", "train", "--stack", "dev", "--out", "elsewhere", "--version", "v9"
    )
    assert code == 0
    metadata = ModelMetadata.model_validate_json((project / "elsewhere" / METADATA_FILE).read_text())
    assert (metadata.version, metadata.cost_false_negative) == ("v9", 25.0)


def _log_predictions(project: Path, artifact: Artifact, applicants: list[dict[str, Any]]) -> None:
    writer = PredictionLogWriter(LogOptions(str(project / "run/predictions"), 1000, 3600.0))
    rows = [Applicant.model_validate(a) for a in applicants[:5]]
    writer.append(Scorer(artifact).predict(rows, [f"req-{i}" for i in range(5)])[1])
    assert writer.close(10) == 0


def test_model_labels_appends_the_delayed_labels_next_to_the_log(
    project: Path, vigie: CliRunner, artifact: Artifact, applicants: list[dict[str, Any]]
) -> None:
    _log_predictions(project, artifact, applicants)
    source = project / "labels.csv"
    source.write_text("request_id,label\nreq-0,1\nreq-3,0\nreq-4,0\n")
    code, out, err = vigie("--project-dir", project, "model", "labels", source, "--stack", "dev")
    assert (code, err) == (0, "")
    (written,) = (project / "run/predictions" / LABELS_DIR).glob("*.parquet")
    assert out == f"3 labels of logged predictions written to {written}\n"
    table = pq.read_table(written)
    assert table.schema.names == list(LABEL_COLUMNS)
    assert (table.schema.field("label").type, str(table.schema.field("labelled_at").type)) == (
        pa.int8(),
        "timestamp[us, tz=UTC]",
    )
    assert table.column("request_id").to_pylist() == ["req-0", "req-3", "req-4"]
    assert table.column("label").to_pylist() == [1, 0, 0]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "labels.csv",
            "request_id,outcome\nreq-0,1\n",
            "{file}: missing column 'label' (columns: request_id, label)",
        ),
        (
            "labels.csv",
            "request_id,label\nreq-0,1\nreq-1,2\n",
            "{file}: row 2: label must be 0 or 1, got '2'",
        ),
        (
            "labels.csv",
            "request_id,label\nreq-0,1\nreq-1,0\nreq-0,0\nreq-2,1\nreq-1,1\nreq-4,0\nreq-1,0\n",
            "{file}: 2 request_ids appear more than once (e.g. 'req-0', 'req-1'); a prediction has one label",
        ),
        ("labels.csv", "request_id,label\n,1\n", "{file}: row 1: request_id is empty"),
        ("labels.csv", "request_id,label\n", "{file}: no rows"),
        (
            "labels.csv",
            "request_id,label\nnope-1,1\n",
            "{file}: 1 of 1 request_ids are not in the prediction log at {log} (e.g. 'nope-1'); "
            "is it the right stack?",
        ),
        (
            "labels.csv",
            "request_id,label\nreq-0,1\nX-0,1\nreq-2,0\nX-1,0\nX-2,0\nX-3,1\n",
            "{file}: 4 of 6 request_ids are not in the prediction log at {log} (e.g. 'X-0', 'X-1', 'X-2'); "
            "is it the right stack?",
        ),
        ("labels.json", "{}", "{file}: expected a .csv or .parquet file of request_id,label rows"),
        ("missing.csv", None, "{file}: no such file"),
    ],
)
def test_bad_label_files_are_one_line_errors(
    project: Path,
    vigie: CliRunner,
    artifact: Artifact,
    applicants: list[dict[str, Any]],
    name: str,
    content: str | None,
    message: str,
) -> None:
    _log_predictions(project, artifact, applicants)
    source = project / name
    if content is not None:
        source.write_text(content)
    code, out, err = vigie("--project-dir", project, "model", "labels", source, "--stack", "dev")
    expected = message.format(file=source, log=project / "run/predictions")
    assert (code, out, err) == (2, "", f"error: {expected}\n")
    assert not (project / "run/predictions" / LABELS_DIR).exists()


def test_labels_for_predictions_already_labelled_are_refused_whole(
    project: Path, vigie: CliRunner, artifact: Artifact, applicants: list[dict[str, Any]]
) -> None:
    """A second label would silently replace the first in the drift job's join."""
    _log_predictions(project, artifact, applicants)
    first, second = project / "first.csv", project / "second.csv"
    first.write_text("request_id,label\nreq-0,1\nreq-1,0\n")
    second.write_text("request_id,label\nreq-2,1\nreq-1,1\nreq-0,0\n")
    assert vigie("--project-dir", project, "model", "labels", first, "--stack", "dev")[0] == 0
    code, out, err = vigie("--project-dir", project, "model", "labels", second, "--stack", "dev")
    log = project / "run/predictions"
    assert (code, out) == (2, "")
    assert err == (
        f"error: {second}: 2 of 3 request_ids already have a label in {log}/{LABELS_DIR} (e.g. 'req-1', "
        "'req-0'); a prediction has one label\n"
    )
    (only,) = (log / LABELS_DIR).glob("*.parquet")
    assert pq.read_table(only).column("request_id").to_pylist() == ["req-0", "req-1"]


def test_serve_config_prints_the_serve_config_of_the_stack(vigie: CliRunner, project: Path) -> None:
    code, out, _ = vigie("--project-dir", project, "serve", "config", "--stack", "prod")
    assert code == 0
    config = ServeDeploySchema.model_validate(yaml.safe_load(out))
    assert config.applications[0].deployments[0].autoscaling_config["max_replicas"] == 8  # type: ignore[index]


SETTINGS_ERRORS: list[tuple[str, str, Any, str]] = [
    (
        "batching",
        "batching",
        {"maxBatchSize": 64},
        "vigie:serving: batching.maxBatchSize (64) must be at most maxOngoingRequests (32), "
        "or batches can never fill",
    ),
    (
        "memory unit",
        "resources",
        {"memory": "1G"},
        "vigie:serving.resources.memory: string should match pattern '^[1-9][0-9]*(Mi|Gi)$' (got '1G')",
    ),
    (
        "log protocol",
        "predictionLog",
        {"uri": "sftp2://host/log"},
        "vigie:serving.predictionLog.uri: unknown storage protocol 'sftp2' (examples: run/predictions, "
        "s3://bucket/prefix)",
    ),
    (
        "request limit",
        "maxRequestBytes",
        1000,
        "vigie:serving.maxRequestBytes: input should be greater than or equal to 4096 (got 1000)",
    ),
    (
        "ingress",
        "ingress",
        "fast",
        "vigie:serving.ingress: input should be 'proxy', 'direct' or 'haproxy' (got 'fast')",
    ),
    (
        "wait",
        "batching",
        {"batchWaitTimeout": "5 ms"},
        "vigie:serving.batching.batchWaitTimeout: '5 ms' is not a Prometheus duration "
        "(examples: 30s, 5m, 1h30m, 7d)",
    ),
]


@pytest.mark.parametrize(
    ("case", "key", "value", "message"), SETTINGS_ERRORS, ids=[c[0] for c in SETTINGS_ERRORS]
)
def test_bad_serving_settings_are_one_line_errors(
    project: Path, vigie: CliRunner, case: str, key: str, value: Any, message: str
) -> None:
    edit_stack(project / "Pulumi.dev.yaml", "vigie:serving", key, value)
    code, out, err = vigie("--project-dir", project, "serve", "config", "--stack", "dev")
    assert (code, out, err) == (2, "", f"error: Pulumi.dev.yaml: {message}\n")


SHORT_RUN_DIR = PROJECT_DIR / "run" / "t-cli"
"""Ray's sockets need a short run folder; pytest's are too deep. These tests fail before creating it."""


def test_serve_start_without_a_model_says_to_train_one(project: Path, vigie: CliRunner) -> None:
    code, out, err = vigie(
        "--project-dir", project, "serve", "start", "--stack", "dev", "--run-dir", SHORT_RUN_DIR
    )
    assert (code, out) == (2, "")
    assert err == f"error: {project / LOCAL_MODEL}: no metadata.json here; run `vigie model train`\n"
    assert not SHORT_RUN_DIR.exists()


def test_serve_start_refuses_an_artifact_of_another_version_naming_both(
    project: Path, vigie: CliRunner, artifact_dir: Path
) -> None:
    edit_stack(project / "Pulumi.dev.yaml", "vigie:model", "artifactUri", str(artifact_dir))
    code, out, err = vigie(
        "--project-dir", project, "serve", "start", "--stack", "dev", "--run-dir", SHORT_RUN_DIR
    )
    assert (code, out) == (2, "")
    assert err == (
        f"error: {artifact_dir}: the artifact is model version credit-lgbm-test, but vigie:model.version declares "
        "credit-lgbm-2026.11.0; publish the declared version (`vigie model train`, then `vigie model publish`) or "
        "declare credit-lgbm-test\n"
    )
    assert not SHORT_RUN_DIR.exists()


def test_serve_start_refuses_a_port_in_use(project: Path, vigie: CliRunner, artifact_dir: Path) -> None:
    edit_stack(project / "Pulumi.dev.yaml", "vigie:model", "artifactUri", str(artifact_dir))
    edit_stack(project / "Pulumi.dev.yaml", "vigie:model", "version", "credit-lgbm-test")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = vigie(
            "--project-dir",
            project,
            "serve",
            "start",
            "--stack",
            "dev",
            "--port",
            port,
            "--run-dir",
            SHORT_RUN_DIR,
        )
    assert (code, err) == (2, f"error: --port {port}: the port is in use on 127.0.0.1; choose another\n")


def test_serve_start_refuses_a_run_folder_whose_ray_sockets_cannot_be_aliased_short_enough(
    project: Path, vigie: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / ("t" * 60)))
    code, _, err = vigie("--project-dir", project, "serve", "start", "--stack", "dev", "--run-dir", "x" * 60)
    assert code == 2
    assert err.startswith(f"error: {tmp_path / ('t' * 60)}/vigie-ray-")
    assert err.endswith(
        "too long for Ray's Unix sockets (at most 43 characters); set TMPDIR to a shorter folder\n"
    )


def test_serve_stop_and_status_with_nothing_running(project: Path, vigie: CliRunner) -> None:
    assert vigie("--project-dir", project, "serve", "stop") == (
        0,
        "no scoring service recorded; nothing to stop\n",
        "",
    )
    assert vigie("--project-dir", project, "serve", "status") == (1, "not running\n", "")


def _stack_on(project: Path, s3_server: S3Server, bucket: str) -> str:
    """dev's artifact in the test bucket, its object storage the session's S3 server; the artifact URI."""
    uri = f"s3://{bucket}/models/credit-lgbm-test"
    edit_stack(
        project / "Pulumi.dev.yaml", "vigie:model", "", {"version": "credit-lgbm-test", "artifactUri": uri}
    )
    edit_stack(project / "Pulumi.dev.yaml", "vigie:platform", "objectStorage.endpointUrl", s3_server.endpoint)
    return uri


def _secrets(tmp_path: Path) -> Path:
    folder = tmp_path / "secrets"
    folder.mkdir()
    (folder / "storageAccessKeyId").write_text(ACCESS_KEY)
    (folder / "storageSecretAccessKey").write_text(SECRET_KEY + "\n")
    return folder


def test_model_publish_round_trips_through_s3_with_the_stacks_secret(
    project: Path, vigie: CliRunner, artifact_dir: Path, s3_server: S3Server, bucket: str, tmp_path: Path
) -> None:
    uri = _stack_on(project, s3_server, bucket)
    secrets = _secrets(tmp_path)
    code, out, err = vigie("--project-dir", project, "model", "publish", "--stack", "dev", "--from", artifact_dir,
                           "--secrets-dir", secrets)  # fmt: skip
    record = Publication.model_validate_json(s3_server.filesystem().cat_file(f"{uri[5:]}/{PUBLICATION_FILE}"))
    assert (code, err, out) == (0, "", f"published credit-lgbm-test to {uri} (sha256 {record.sha256})\n")
    assert SECRET_KEY not in out + err
    assert sorted(p.rsplit("/", 1)[-1] for p in s3_server.filesystem().ls(uri[5:])) == sorted(
        [*ARTIFACT_FILES, PUBLICATION_FILE]
    )
    copied = s3_server.filesystem().cat_file(f"{uri[5:]}/{MODEL_FILE}")
    assert copied == (artifact_dir / MODEL_FILE).read_bytes()


@pytest.mark.parametrize(
    ("case", "version", "with_secrets", "message"),
    [
        ("another version", "credit-lgbm-2026.11.0", True,
         "{artifact}: the artifact is model version credit-lgbm-test, but vigie:model.version declares "
         "credit-lgbm-2026.11.0; publish the declared version (`vigie model train`, then `vigie model publish`) or "
         "declare credit-lgbm-test"),
        ("no secrets", "credit-lgbm-test", False,
         "{uri} is on s3: give --secrets-dir, holding the files storageAccessKeyId, storageSecretAccessKey "
         "(vigie:platform.objectStorage)"),
    ],
)  # fmt: skip
def test_model_publish_refuses_with_one_line_and_writes_nothing(
    project: Path, vigie: CliRunner, artifact_dir: Path, s3_server: S3Server, bucket: str, tmp_path: Path,
    case: str, version: str, with_secrets: bool, message: str,
) -> None:  # fmt: skip
    uri = _stack_on(project, s3_server, bucket)
    edit_stack(project / "Pulumi.dev.yaml", "vigie:model", "version", version)
    secrets = ("--secrets-dir", _secrets(tmp_path)) if with_secrets else ()
    code, out, err = vigie("--project-dir", project, "model", "publish", "--stack", "dev", "--from", artifact_dir,
                           *secrets)  # fmt: skip
    assert (code, out, err) == (2, "", f"error: {message.format(artifact=artifact_dir, uri=uri)}\n")
    assert s3_server.filesystem().ls(bucket) == []

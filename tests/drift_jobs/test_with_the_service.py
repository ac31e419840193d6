"""The drift job on what the scoring service itself writes: the artifact of serving.training, the prediction log
of serving's writer, the labels of serving's label ingestion. Applicants' incomes rose by half and the third
external score moved up: both must be found."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from serving.artifact import load_artifact
from serving.dataset import synthetic_applications
from serving.delayed_labels import ingest_labels
from serving.prediction_log import LogOptions, PredictionLogWriter
from serving.schema import Applicant
from serving.scorer import Scorer
from serving.training import Costs, train, write_artifact
from tests.conftest import CliRunner
from tests.drift_fixtures import STACK, Dataset, Gateway

SHIFTED = {"amt_income_total", "ext_source_3"}
VERSION = "credit-lgbm-drift-test"


@pytest.fixture(scope="module")
def service_data(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    folder = tmp_path_factory.mktemp("service")
    write_artifact(train(VERSION, Costs(false_negative=10.0, false_positive=1.0)),
                   str(folder / "model"))  # fmt: skip
    scorer = Scorer(load_artifact(str(folder / "model")))
    frame = synthetic_applications(3000, seed=4242)
    frame["amt_income_total"] = np.round(frame["amt_income_total"] * 1.5, 2)
    frame["ext_source_3"] = np.clip(frame["ext_source_3"] + 0.15, 0.0, 1.0)
    applicants = [Applicant.model_validate(row) for row in frame.drop(columns="label").to_dict("records")]
    ids = [f"svc-{i:06d}" for i in range(len(applicants))]
    writer = PredictionLogWriter(LogOptions(uri=str(folder / "log"), flush_rows=500, flush_interval_s=0.1))
    writer.append(scorer.predict(applicants, ids)[1])
    assert writer.close(timeout_s=30) == 0
    labels = folder / "labels.csv"
    labels.write_text("request_id,label\n" + "".join(f"{i},{y}\n" for i, y in zip(ids[::2], frame["label"][::2],
                                                                                  strict=True)))  # fmt: skip
    ingest_labels(labels, str(folder / "log"))
    return Dataset(folder / "model", folder / "log")


def test_the_job_reads_the_services_artifact_log_and_labels_and_finds_the_shift(
    vigie: CliRunner, project: Path, service_data: Dataset, gateway: Gateway, tmp_path: Path
) -> None:
    now = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()  # the log's rows are from this very second
    code, out, err = vigie(
        "--project-dir", project, "drift", "run", "--stack", STACK, "--pushgateway", gateway.url,
        "--log-uri", service_data.log, "--model-uri", service_data.model, "--output-uri", tmp_path, "--now", now,
    )  # fmt: skip
    assert code == 0, err
    drifted = {name for (metric, labels), value in gateway.metrics().items()
               if metric == "vigie_drift_feature_drifted" and value == 1 for key, name in labels if key == "feature"}  # fmt: skip
    assert drifted >= SHIFTED
    assert "performance on 1,500 labelled rows" in out
    assert gateway.value("vigie_drift_rows", dataset="current", model_version=VERSION) == 2000
    assert 0.5 < gateway.value("vigie_drift_auc", model_version=VERSION) < 1.0
    (folder,) = (tmp_path / STACK).iterdir()
    assert len(list(folder.iterdir())) == 4

"""Drift-job fixtures (a plugin of tests/conftest.py): generated datasets in the artifact and prediction-log
formats, a real Pushgateway on loopback (stopped by its PID), and reading back what a run pushed and wrote."""

from __future__ import annotations

import json
import shutil
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conventions import contract as c
from drift_jobs.summary import SUMMARY_FILE
from drift_jobs.synthetic import Scenario, write_model_artifact, write_prediction_log
from infra.local.process import LOOPBACK, free_port, start, stop

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
NOW_TEXT = "2026-11-26T03:00:00Z"
RUN_ID = "20261126T030000Z"
WINDOW = timedelta(days=7)
STACK = "staging"
"""A stack whose drift settings are the defaults: a 7-day window, 2,000-row samples, 10 important features."""

SHIFTED = ("x00", "x01", "x03", "x07", "n_products", "segment")
"""Four of the ten important features (x00…x09), an unimportant count and the category."""
SCENARIO = Scenario(shifted=SHIFTED, stale_rows=300, reference_rows=4000, current_rows=4000)


@dataclass(frozen=True)
class Dataset:
    model: Path
    log: Path


def make_dataset(folder: Path, scenario: Scenario) -> Dataset:
    write_model_artifact(folder / "model", scenario)
    write_prediction_log(folder / "log", scenario, NOW, WINDOW)
    return Dataset(folder / "model", folder / "log")


@pytest.fixture(scope="session")
def shared_dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """The standard scenario, generated once; tests that alter it take `dataset`, a copy."""
    return make_dataset(tmp_path_factory.mktemp("drift-data"), SCENARIO)


@pytest.fixture
def dataset(shared_dataset: Dataset, tmp_path: Path) -> Dataset:
    shutil.copytree(shared_dataset.model, tmp_path / "model")
    shutil.copytree(shared_dataset.log, tmp_path / "log")
    return Dataset(tmp_path / "model", tmp_path / "log")


_CONTRACT = {metric.name: metric for metric in c.EXPORTED}


@dataclass(frozen=True)
class Gateway:
    url: str

    def metrics(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        """Every vigie_* sample the gateway exposes, by name and labels."""
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=5) as response:
            text = response.read().decode()
        return {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name.startswith("vigie_")
        }

    def value(self, name: str, **labels: str) -> float:
        """A pushed sample; a verdict's model_version is the scenario's unless given."""
        wanted = {"job": "vigie-drift", "stack": STACK, "instance": ""}
        if c.MODEL_VERSION in _CONTRACT[name].labels:
            wanted[c.MODEL_VERSION] = SCENARIO.model_version
        return self.metrics()[(name, frozenset((wanted | labels).items()))]

    def wipe(self) -> None:
        request = urllib.request.Request(f"{self.url}/api/v1/admin/wipe", method="PUT")
        urllib.request.urlopen(request, timeout=5).close()


@pytest.fixture(scope="session")
def running_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    folder = tmp_path_factory.mktemp("pushgateway")
    port = free_port()
    argv = [
        "prometheus-pushgateway",
        f"--web.listen-address={LOOPBACK}:{port}",
        f"--persistence.file={folder}/pushgateway.db",
        "--web.enable-admin-api",
    ]
    process = start("pushgateway", argv, folder / "pushgateway.log", f"http://{LOOPBACK}:{port}/-/ready")
    try:
        yield Gateway(process.url)
    finally:
        stop(process.pid)


@pytest.fixture
def gateway(running_gateway: Gateway) -> Gateway:
    """The session's Pushgateway, emptied for this test."""
    running_gateway.wipe()
    return running_gateway


def run_args(project: Path, data: Dataset, gateway: str, reports: Path, *extra: str) -> list[str | Path]:
    """`vigie drift run` on `data`, as the tests call it."""
    return [
        "--project-dir", project, "drift", "run", "--stack", STACK, "--pushgateway", gateway,
        "--log-uri", data.log, "--model-uri", data.model, "--output-uri", reports, "--now", NOW_TEXT, *extra,
    ]  # fmt: skip


def read_summary(reports: Path) -> dict[str, Any]:
    summary: dict[str, Any] = json.loads((reports / STACK / RUN_ID / SUMMARY_FILE).read_text())
    return summary

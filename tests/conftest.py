"""Shared fixtures: the project under test, scratch copies of it, and running the CLI in-process."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from infra.cli import main

pytest_plugins = [
    "tests.session_guardian",
    "tests.drift_fixtures",
    "tests.model_fixtures",
    "tests.report_fixtures",
    "tests.object_storage_fixtures",
]
"""The guardian that stops what the tests started however the run ends; fixtures that tests of several packages
share: generated drift data and a running Pushgateway, a trained model, a backfilled Prometheus and an SMTP
server for the business report, an S3 server (each built only when a test asks)."""

PROJECT_DIR = Path(__file__).resolve().parents[1]
STACKS = ("dev", "staging", "prod")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `first` run before the others (in their own order): `make test` runs two workers, which
    take whole files in this order, so one worker spends the local stack's e2e file, mostly waiting for alerts,
    while the other runs everything else."""
    items.sort(key=lambda item: item.get_closest_marker("first") is None)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A scratch copy of the project's stack files and generated/ folder."""
    for path in PROJECT_DIR.glob("Pulumi*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    shutil.copytree(PROJECT_DIR / "generated", tmp_path / "generated")
    return tmp_path


CliRunner = Callable[..., tuple[int, str, str]]


@pytest.fixture
def vigie(capsys: pytest.CaptureFixture[str]) -> CliRunner:
    """Run `vigie ARGS…` in-process: (exit status, stdout, stderr)."""

    def run(*args: str | Path) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run

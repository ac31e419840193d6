"""A run's configuration comes from the stack settings; the command line only overrides where things are."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from drift_jobs.config import job_config, parse_now
from drift_jobs.errors import DriftJobError, shown
from infra.settings.errors import SettingsError
from rules_src.stack import load_stack
from tests.infra.stack_edits import edit_stack

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def test_the_drift_threshold_is_the_data_drift_alerts(project: Path) -> None:
    edit_stack(project / "Pulumi.staging.yaml", "vigie:alerts", "DataDriftDetected.threshold", 0.5)
    config = job_config(load_stack(project, "staging"), project, "http://127.0.0.1:9091", NOW)
    assert config.share_threshold == 0.5


def test_uris_come_from_the_settings_as_local_runs_keep_them_unless_overridden(project: Path) -> None:
    """staging's URIs are on s3: a run without overrides keeps them in the run folder; an override is used as
    given (the CronJob's, naming the bucket)."""
    stack = load_stack(project, "staging")
    config = job_config(stack, project, "http://127.0.0.1:9091", NOW, reports_uri="s3://bucket/drift")
    assert config.log_uri == str(project.resolve() / "run/object-storage/s3/vigie-staging/predictions")
    assert config.model_uri == str(
        project.resolve() / "run/object-storage/s3/vigie-staging/models/credit-lgbm-2026.11.0"
    )
    assert config.reports_uri == "s3://bucket/drift"
    assert (config.window_start.isoformat(), config.run_id) == (
        "2026-11-19T03:00:00+00:00",
        "20261126T030000Z",
    )


def test_the_costs_window_and_sample_follow_the_stack(project: Path) -> None:
    edit_stack(project / "Pulumi.staging.yaml", "vigie:drift", "window", "1d")
    edit_stack(project / "Pulumi.staging.yaml", "vigie:drift", "sampleSize", 750)
    edit_stack(project / "Pulumi.staging.yaml", "vigie:model", "costFalseNegative", 25.0)
    config = job_config(load_stack(project, "staging"), project, "http://127.0.0.1:9091", NOW)
    assert (config.window_start, config.drift.sample_size, config.cost_false_negative) == (
        datetime(2026, 11, 25, 3, 0, tzinfo=UTC), 750, 25.0,
    )  # fmt: skip


def test_an_unknown_reports_protocol_is_a_settings_error(project: Path) -> None:
    edit_stack(project / "Pulumi.staging.yaml", "vigie:drift", "reportsUri", "nope://bucket/drift")
    with pytest.raises(SettingsError) as error:
        load_stack(project, "staging")
    assert str(error.value) == (
        "Pulumi.staging.yaml: vigie:drift.reportsUri: unknown storage protocol 'nope' "
        "(examples: run/predictions, s3://bucket/prefix)"
    )


def test_now_defaults_to_the_wall_clock_to_the_second() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    now = parse_now(None)
    assert before <= now <= datetime.now(UTC) and now.microsecond == 0


def test_now_is_an_aware_time_in_utc() -> None:
    assert parse_now("2026-11-26T04:00:00+01:00") == NOW
    with pytest.raises(DriftJobError, match=r"^--now: 'yesterday' is not an ISO 8601 time"):
        parse_now("yesterday")


def test_credentials_in_a_uri_are_never_shown() -> None:
    assert shown("s3://key:secret@bucket/drift?token=abc") == "s3://bucket/drift"
    assert shown("https://user:pw@gateway:9091/") == "https://gateway:9091/"
    assert shown("/var/lib/vigie/log") == "/var/lib/vigie/log"

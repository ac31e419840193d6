"""One run's configuration: the stack's drift, model and serving settings, with the local run's overrides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from drift_jobs.errors import DriftJobError
from infra.settings.model import Drift
from infra.settings.types import local_location, resolve_location
from rules_src.alerts import drift as drift_alerts
from rules_src.stack import Stack

RUN_ID_FORMAT = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class JobConfig:
    """Everything a run needs, resolved once: nothing below reads settings or the command line."""

    stack: str
    model_uri: str
    log_uri: str
    reports_uri: str
    pushgateway: str
    window_end: datetime
    drift: Drift
    share_threshold: float
    """DataDriftDetected's threshold: the run declares drift when the share is strictly above it."""
    cost_false_negative: float
    cost_false_positive: float
    cost_increase_threshold: float
    """ModelPerformanceDegraded's threshold: the matured cohort is degraded when its cost per application is
    more than this share above the reference's."""

    @property
    def window(self) -> timedelta:
        return self.drift.window.timedelta

    @property
    def window_start(self) -> datetime:
        return self.window_end - self.window

    @property
    def cohort_end(self) -> datetime:
        """The matured cohort ends drift.labelDelay before the window: its labels have had time to arrive."""
        return self.window_end - self.drift.label_delay.timedelta

    @property
    def cohort_start(self) -> datetime:
        """The matured cohort is as long as the window, so the two costs weigh alike."""
        return self.cohort_end - self.window

    @property
    def run_id(self) -> str:
        """The run's folder name: the window's end, so a rerun of one window replaces its reports."""
        return self.window_end.strftime(RUN_ID_FORMAT)


def _location(override: str | None, setting: str, project_dir: Path) -> str:
    """An explicit URI as given (the CronJob's, the bucket itself); a setting as local runs keep it."""
    return resolve_location(override, project_dir) if override else local_location(setting, project_dir)


def job_config(
    stack: Stack,
    project_dir: Path,
    pushgateway: str,
    now: datetime,
    log_uri: str | None = None,
    model_uri: str | None = None,
    reports_uri: str | None = None,
) -> JobConfig:
    """The stack's settings, each URI replaced by its override when given; relative ones under the project."""
    settings = stack.settings
    threshold = stack.alerts.named(drift_alerts.DATA_DRIFT.name).threshold
    increase = stack.alerts.named(drift_alerts.MODEL_PERFORMANCE.name).threshold
    assert threshold is not None and increase is not None  # ratio alerts: the catalog gives them a threshold
    return JobConfig(
        stack=stack.name,
        model_uri=_location(model_uri, settings.model.artifact_uri, project_dir),
        log_uri=_location(log_uri, settings.serving.prediction_log.uri, project_dir),
        reports_uri=_location(reports_uri, settings.drift.reports_uri, project_dir),
        pushgateway=pushgateway,
        window_end=now,
        drift=settings.drift,
        share_threshold=threshold,
        cost_false_negative=settings.model.cost_false_negative,
        cost_false_positive=settings.model.cost_false_positive,
        cost_increase_threshold=increase,
    )


def parse_now(text: str | None) -> datetime:
    """`--now` as an aware UTC datetime (ISO 8601 with a zone); the wall clock when not given."""
    if text is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise DriftJobError(
            f"--now: {text!r} is not an ISO 8601 time (example: 2026-11-26T03:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        raise DriftJobError(f"--now: {text!r} has no time zone; add one (example: 2026-11-26T03:00:00Z)")
    return moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """A UTC time as the reports and messages print it: 2026-11-26T03:00:00Z."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

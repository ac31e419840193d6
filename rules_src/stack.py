"""A stack resolved: validated settings plus every alert of the catalog with the stack's overrides applied.

This frozen model is what builders get. The checks that span several alerts live here, beside the catalog,
each naming the key to fix; `infra.settings` judges only the settings as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from conventions.durations import Duration, format_duration
from infra.settings.cron import CronSchedule
from infra.settings.errors import SettingsError, key_path
from infra.settings.loader import read_stack_file, stack_file
from infra.settings.model import AlertOverride, StackSettings
from infra.settings.types import BaseUrl
from infra.settings.validation import secret_keys, storage_secret_keys, validate_settings
from rules_src.alert import Alert, AlertSpec, Scope, Unit, format_threshold
from rules_src.alerts import BY_NAME, CATALOG, error_rate
from rules_src.alerts import drift as drift_alerts
from rules_src.alerts import latency as latency_alerts

RUNBOOKS_DIR = "runbooks"
"""The folder of `generated/<stack>/` that `vigie render` writes the runbooks to, published at runbookBaseUrl."""
RUNBOOK_INDEX = "README.md"
"""The runbooks' index: the page a Git host shows for the folder, and what the dashboards link to."""


def runbook_file(alert_name: str) -> str:
    """An alert's runbook, by the name under which it is published: the file name is the URL's last part."""
    return f"{alert_name}.md"


@dataclass(frozen=True)
class Links:
    """Where an alert's runbook and dashboard are: every alert carries both, and panels link to runbooks."""

    runbooks: BaseUrl
    grafana: BaseUrl

    def runbook(self, alert: Alert) -> str:
        return self.runbooks.join(runbook_file(alert.name))

    def dashboard(self, alert: Alert) -> str:
        return self.grafana.join("d", alert.spec.dashboard)


@dataclass(frozen=True)
class Alerts:
    """A stack's alerts, resolved: the slice that rules, rule tests, ALERTS.md and dashboards read."""

    every: tuple[Alert, ...]
    """Every alert of the catalog, in catalog order; disabled ones too, so their thresholds stay known."""
    scope: Scope
    links: Links

    @property
    def enabled(self) -> tuple[Alert, ...]:
        return tuple(a for a in self.every if a.enabled)

    def named(self, name: str) -> Alert:
        for alert in self.every:
            if alert.name == name:
                return alert
        raise KeyError(f"stack {self.scope.stack}: no alert named {name!r} in the catalog")


@dataclass(frozen=True)
class Stack:
    """One environment, ready for the builders: its settings as validated, and its alerts as resolved."""

    name: str
    settings: StackSettings
    alerts: Alerts

    @property
    def secret_keys(self) -> tuple[str, ...]:
        """The secret config keys the receivers name, sorted."""
        return secret_keys(self.settings)

    @property
    def config_secret_keys(self) -> tuple[str, ...]:
        """Every secret config key the stack file needs: the receivers' and the object storage's, sorted."""
        return tuple(sorted({*self.secret_keys, *storage_secret_keys(self.settings)}))


def build_stack(name: str, values: Mapping[str, object], secrets: set[str], source: str) -> Stack:
    """Validate a stack's `vigie:` config (clear values by key, and the keys holding secrets) and resolve it."""
    return resolve_stack(name, validate_settings(values, secrets, source), source)


def resolve_stack(name: str, settings: StackSettings, source: str) -> Stack:
    """Every alert of the catalog with the stack's overrides, checked against each other."""
    serving = settings.serving
    scope = Scope(
        serving.namespace,
        serving.application,
        name,
        settings.model.version,
        settings.alerting.min_request_rate,
        serving.autoscaling.min_replicas,
        str(serving.prediction_log.flush_interval),
    )
    links = Links(settings.alerting.runbook_base_url, settings.monitoring.grafana_url)
    alerts = _never_ran_grace(_resolve_alerts(settings, source), settings)
    stack = Stack(name, settings, Alerts(alerts, scope, links))
    _check_thresholds(stack, source)
    _check_schedule(stack, source)
    _check_never_ran(stack, source)
    _check_retries(stack, source)
    _check_airflow_retries(stack, source)
    return stack


def load_stack(project_dir: Path, name: str) -> Stack:
    """Read, validate and resolve one stack's `Pulumi.<name>.yaml`; SettingsError on any user error."""
    path = stack_file(project_dir, name)
    values, secrets = read_stack_file(project_dir, name)
    return build_stack(name, values, secrets, path.name)


def _resolve_alerts(settings: StackSettings, source: str) -> tuple[Alert, ...]:
    for name in sorted(set(settings.alerts) - BY_NAME.keys()):
        raise SettingsError(
            source,
            f"{key_path(('alerts', name))}: no such alert (known alerts: {', '.join(sorted(BY_NAME))})",
        )
    return tuple(_resolve(spec, settings.alerts.get(spec.name), source) for spec in CATALOG)


def _resolve(spec: AlertSpec, override: AlertOverride | None, source: str) -> Alert:
    if override is None:
        return Alert(spec, spec.threshold, Duration.parse(spec.for_), spec.severity)
    threshold = spec.threshold
    if override.threshold is not None:
        threshold = _threshold(spec, override.threshold, source)
    return Alert(
        spec,
        threshold,
        override.for_ or Duration.parse(spec.for_),
        override.severity or spec.severity,
        override.enabled,
    )


def _threshold(spec: AlertSpec, value: float | Duration, source: str) -> float:
    path = key_path(("alerts", spec.name, "threshold"))
    shown = repr(value.text) if isinstance(value, Duration) else repr(value)
    if spec.unit is Unit.NONE:
        raise SettingsError(source, f"{path}: {spec.name} has no threshold to override")
    if spec.unit is Unit.RATIO:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
            raise SettingsError(
                source, f"{path}: must be a ratio strictly between 0 and 1 (0.05 means 5 %), got {shown}"
            )
        return float(value)
    if not isinstance(value, Duration):
        raise SettingsError(source, f"{path}: must be a Prometheus duration such as 500ms or 1s, got {shown}")
    if spec.threshold_choices and value.seconds not in spec.threshold_choices:
        choices = ", ".join(format_duration(s) for s in spec.threshold_choices)
        raise SettingsError(
            source, f"{path}: {value} is not a latency bucket boundary, so the quantile would be inexact; "
            f"choose one of {choices}",
        )  # fmt: skip
    return value.seconds


def _check_thresholds(stack: Stack, source: str) -> None:
    """A warning must trip before the page of the same family."""
    pairs = (
        (latency_alerts.LATENCY_P95, latency_alerts.LATENCY_P99),
        (error_rate.HTTP_5XX, error_rate.API_ERROR_RATE),
    )
    for low_spec, high_spec in pairs:
        low, high = stack.alerts.named(low_spec.name), stack.alerts.named(high_spec.name)
        if low.enabled and high.enabled and not (low.threshold or 0) < (high.threshold or 0):
            overridden = low.name if low.name in stack.settings.alerts else high.name
            raise SettingsError(
                source,
                f"{key_path(('alerts', overridden, 'threshold'))}: {low.name}'s threshold "
                f"({low.threshold_text()}) must be below {high.name}'s ({high.threshold_text()})",
            )


def _check_schedule(stack: Stack, source: str) -> None:
    try:
        gap = CronSchedule.parse(stack.settings.drift.schedule).longest_gap_seconds()
    except ValueError as error:
        raise SettingsError(source, f"{key_path(('drift', 'schedule'))}: {error}") from None
    stale = stack.alerts.named(drift_alerts.DRIFT_JOB_STALE.name)
    if stale.enabled and (stale.threshold or 0) <= gap:
        longest = format_threshold(gap, Unit.SECONDS)
        path: tuple[str, ...] = ("drift", "schedule")
        rule = f"DriftJobStale's threshold ({stale.threshold_text()}) must exceed"
        if stale.name in stack.settings.alerts:
            path, rule = ("alerts", stale.name, "threshold"), f"{stale.threshold_text()} must exceed"
        raise SettingsError(
            source,
            f"{key_path(path)}: {rule} the schedule's longest gap between runs ({longest}), or the job looks "
            f"stale between two healthy runs; raise vigie:alerts.DriftJobStale.threshold",
        )


def _never_ran_grace(alerts: tuple[Alert, ...], settings: StackSettings) -> tuple[Alert, ...]:
    """DriftJobNeverRan waits, unless the stack sets its `for`, as long as DriftJobStale tolerates between two
    successes: the longest a healthy job takes from a deploy to its first success too."""
    never_ran = drift_alerts.DRIFT_JOB_NEVER_RAN.name
    override = settings.alerts.get(never_ran)
    if override is not None and override.for_ is not None:
        return alerts
    stale = next(a for a in alerts if a.name == drift_alerts.DRIFT_JOB_STALE.name)
    assert stale.threshold is not None  # a SECONDS alert: the catalog gives it a threshold
    grace = Duration.parse(format_duration(stale.threshold))
    return tuple(replace(a, for_=grace) if a.name == never_ran else a for a in alerts)


def _check_never_ran(stack: Stack, source: str) -> None:
    """The first run after a deploy may start a whole schedule gap later and take the job's deadline: a
    shorter grace would alert on every new stack."""
    never_ran = stack.alerts.named(drift_alerts.DRIFT_JOB_NEVER_RAN.name)
    gap = CronSchedule.parse(stack.settings.drift.schedule).longest_gap_seconds()
    deadline = stack.settings.platform.drift_job.active_deadline
    if never_ran.enabled and never_ran.for_.seconds <= gap + deadline.seconds:
        overridden = never_ran.name in stack.settings.alerts and stack.settings.alerts[never_ran.name].for_
        path = ("alerts", never_ran.name, "for") if overridden else ("alerts", "DriftJobStale", "threshold")
        raise SettingsError(
            source,
            f"{key_path(path)}: DriftJobNeverRan's for ({never_ran.for_}) must exceed the drift schedule's longest "
            f"gap ({format_threshold(gap, Unit.SECONDS)}) plus the drift job's activeDeadline ({deadline}), or "
            "it alerts before the first scheduled run of a new stack can have succeeded",
        )


def _check_retries(stack: Stack, source: str) -> None:
    """A failed try that a retry mends must not page: DriftJobFailed waits out the Job's whole deadline."""
    failed = stack.alerts.named(drift_alerts.DRIFT_JOB_FAILED.name)
    deadline = stack.settings.platform.drift_job.active_deadline
    if failed.enabled and failed.for_ < deadline:
        path = ("alerts", failed.name, "for") if failed.name in stack.settings.alerts else None
        where = key_path(path or ("platform", "driftJob", "activeDeadline"))
        raise SettingsError(
            source,
            f"{where}: DriftJobFailed's for ({failed.for_}) must be at least the drift job's activeDeadline "
            f"({deadline}), or a failed try that a retry mends pages anyway",
        )


def _check_airflow_retries(stack: Stack, source: str) -> None:
    """On Airflow the tries of a run are separate: a failed try's pushed status (last run failed) stays through
    the retry delay and the next try until a try succeeds. A try can fail at once, so a run that its last retry
    mends shows failed for at most backoffLimit * (retryDelay + a try's timeout): that must stay below
    DriftJobFailed's `for`, or the run pages before it succeeds."""
    s = stack.settings
    failed = stack.alerts.named(drift_alerts.DRIFT_JOB_FAILED.name)
    if s.drift.scheduler != "airflow" or not failed.enabled:
        return
    pods, delay = s.platform.drift_job, s.drift.airflow.retry_delay
    longest = pods.backoff_limit * (delay.seconds + pods.try_timeout_seconds)
    if longest < failed.for_.seconds:
        return
    overridden = failed.name in s.alerts and s.alerts[failed.name].for_ is not None
    where = key_path(("alerts", failed.name, "for") if overridden else ("drift", "airflow", "retryDelay"))
    raise SettingsError(
        source,
        f"{where}: on Airflow a failed try shows until a later try ends, so platform.driftJob.backoffLimit * "
        "(drift.airflow.retryDelay + platform.driftJob.activeDeadline / (1 + backoffLimit)) = "
        f"{pods.backoff_limit} * ({delay} + {format_duration(pods.try_timeout_seconds)}) = "
        f"{format_duration(longest)} must stay below DriftJobFailed's for ({failed.for_}), or a run that a retry "
        "mends pages anyway; shorten the retries or raise vigie:alerts.DriftJobFailed.for",
    )

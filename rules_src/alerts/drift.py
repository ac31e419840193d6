"""ML degradation: drift on more than 30 % of the important features (KS test), a drifted score distribution,
and the drift job's own health: a failed last run, a window too thin to judge, or no successful run within the
schedule plus a grace period (seed §3.B-C)."""

from __future__ import annotations

from conventions import contract as c
from conventions import dashboard_uids as uids
from conventions import promql as p
from conventions.promql import promql_number
from conventions.routing import Category, Severity
from rules_src.alert import (
    AlertSpec,
    ExprBuilder,
    Scenario,
    ScenarioBuilder,
    Scope,
    Series,
    Unit,
    ValueFormat,
)
from rules_src.alerts.scenarios import MARGIN, STEPS, gauge

DRIFT_SHARE_THRESHOLD = 0.30  # "plus de 30% des colonnes sont en drift"; also the job's own verdict
DRIFT_FOR = "0m"  # the job pushes once per run: the pushed share is the verdict
STALE_AFTER = 8 * 86400.0  # seconds: a weekly schedule plus one day of grace
FAILED_FOR = "2h"  # the CronJob's activeDeadline: a failed try's retries have all ended by then
DAY_OF_MINUTES = 24 * 60


def _drifted_share_above(scope: Scope, threshold: float | None) -> p.Expr:
    assert threshold is not None
    return p.gt(scope.drift(c.DRIFT_SHARE.name), threshold)


def _last_run_failed(scope: Scope, threshold: float | None) -> p.Expr:
    return p.eq(scope.drift(c.DRIFT_LAST_RUN_SUCCESS.name), 0)


def _last_success_older(scope: Scope, threshold: float | None) -> p.Expr:
    """Seconds since the last successful run, which the job pushes as a Unix time."""
    assert threshold is not None
    return p.gt(p.sub(p.time(), scope.drift(c.DRIFT_LAST_SUCCESS_TIMESTAMP.name)), threshold)


def _drift_share(scope: Scope, threshold: float | None, breach: bool) -> Scenario:
    assert threshold is not None
    share = min(threshold * (1 + MARGIN), 1.0) if breach else threshold  # at the threshold is not "more than"
    series = gauge(c.DRIFT_SHARE.name, scope.drift_labels, share)
    return Scenario((series,), share, scope.drift_labels, active_from=0)


def _last_run(scope: Scope, threshold: float | None, breach: bool) -> Scenario:
    """A failed (or successful) last run, held for a day of one-minute samples: longer than the `for`."""
    status = 0 if breach else 1
    series = gauge(c.DRIFT_LAST_RUN_SUCCESS.name, scope.drift_labels, status, steps=DAY_OF_MINUTES)
    return Scenario((series,), status, scope.drift_labels, interval="1m", active_from=0)


def _flag_raised(flag: c.Metric) -> ExprBuilder:
    """The job's last push set `flag`, a 0/1 verdict gauge, to 1."""

    def build(scope: Scope, threshold: float | None) -> p.Expr:
        return p.eq(scope.drift(flag.name), 1)

    return build


def _flag_pushed(flag: c.Metric) -> ScenarioBuilder:
    """The job pushed `flag` at 1 (breach) or 0."""

    def build(scope: Scope, threshold: float | None, breach: bool) -> Scenario:
        value = 1 if breach else 0
        series = gauge(flag.name, scope.drift_labels, value)
        return Scenario((series,), value, scope.drift_labels, active_from=0)

    return build


def _last_success(scope: Scope, threshold: float | None, breach: bool) -> Scenario:
    """A last success `threshold` seconds before the test starts: left alone it ages past the threshold at the
    first evaluation; re-pushed every sample it stays exactly at the threshold, which is not "more than"."""
    assert threshold is not None
    pushed = promql_number(-threshold)
    values = f"{pushed}x{STEPS}" if breach else f"{pushed}+60x{STEPS}"
    return Scenario(
        (Series(c.DRIFT_LAST_SUCCESS_TIMESTAMP.name, scope.drift_labels, values),),
        threshold,
        scope.drift_labels,
        interval="1m",
        active_from=1,
        slope=1,
    )


DATA_DRIFT = AlertSpec(
    name="DataDriftDetected",
    family="drift",
    service="drift",
    category=Category.ML_DEGRADATION,
    severity=Severity.WARNING,
    unit=Unit.RATIO,
    threshold=DRIFT_SHARE_THRESHOLD,
    for_=DRIFT_FOR,
    expr=_drifted_share_above,
    summary="Data drift on more than {threshold} of the important features",
    description="The last drift run of stack {stack} found {value} of the important features drifted "
    "(Kolmogorov–Smirnov), more than {threshold}: plan a retraining.",
    value_format=ValueFormat.PERCENT,
    dashboard=uids.DRIFT,
    scenario=_drift_share,
)

DRIFT_JOB_FAILED = AlertSpec(
    name="DriftJobFailed",
    family="drift-job",
    service="drift",
    category=Category.ML_DEGRADATION,
    severity=Severity.WARNING,
    unit=Unit.NONE,
    threshold=None,
    for_=FAILED_FOR,
    expr=_last_run_failed,
    summary="The last drift run failed",
    description="The last drift run of stack {stack} failed: drift is not being watched. See the job's logs.",
    value_format=ValueFormat.NONE,
    dashboard=uids.DRIFT,
    scenario=_last_run,
)

DRIFT_JOB_STALE = AlertSpec(
    name="DriftJobStale",
    family="drift-job",
    service="drift",
    category=Category.ML_DEGRADATION,
    severity=Severity.WARNING,
    unit=Unit.SECONDS,
    threshold=STALE_AFTER,
    for_="0m",
    expr=_last_success_older,
    summary="No successful drift run for {threshold}",
    description="The last successful drift run of stack {stack} ended {value} ago, more than {threshold}.",
    value_format=ValueFormat.DURATION,
    dashboard=uids.DRIFT,
    scenario=_last_success,
)

PREDICTION_DRIFT = AlertSpec(
    name="PredictionDriftDetected",
    family="prediction-drift",
    service="drift",
    category=Category.ML_DEGRADATION,
    severity=Severity.WARNING,
    unit=Unit.NONE,
    threshold=None,
    for_=DRIFT_FOR,
    expr=_flag_raised(c.PREDICTION_DRIFT_DETECTED),
    summary="Prediction drift: the score distribution changed",
    description="The last drift run of stack {stack} found the distribution of the model's scores drifted "
    "from the reference (Kolmogorov–Smirnov): check the data drift and the decisions, and plan a retraining.",
    value_format=ValueFormat.NONE,
    dashboard=uids.DRIFT,
    scenario=_flag_pushed(c.PREDICTION_DRIFT_DETECTED),
)

DRIFT_DATA_INSUFFICIENT = AlertSpec(
    name="DriftDataInsufficient",
    family="drift-job",
    service="drift",
    category=Category.ML_DEGRADATION,
    severity=Severity.WARNING,
    unit=Unit.NONE,
    threshold=None,
    for_=DRIFT_FOR,
    expr=_flag_raised(c.DRIFT_INSUFFICIENT_DATA),
    summary="The last drift run had too few rows to judge",
    description="The last drift run of stack {stack} found fewer rows in its window than drift.minRows: it drew "
    "no verdict, so drift is not being watched. Is the scoring service logging its predictions?",
    value_format=ValueFormat.NONE,
    dashboard=uids.DRIFT,
    scenario=_flag_pushed(c.DRIFT_INSUFFICIENT_DATA),
)

ALERTS = (DATA_DRIFT, PREDICTION_DRIFT, DRIFT_JOB_FAILED, DRIFT_JOB_STALE, DRIFT_DATA_INSUFFICIENT)

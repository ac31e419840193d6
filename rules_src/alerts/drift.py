"""ML degradation: drift on more than 30 % of the important features (KS test), a drifted score distribution,
a costlier model on the cohort whose labels have matured, and the drift job's own health: a failed last run, a
window too thin to judge, no successful run within the schedule plus a grace period, none ever recorded, or a
last verdict about another model version than the declared one (seed §3.B-C).

Every verdict the job pushes carries the model version it judged: the verdict alerts read only the declared
version's, so a verdict about the previous model does not outlive a retrain (DriftVerdictVersionMismatch says
so until the next run)."""

from __future__ import annotations

from conventions import contract as c
from conventions import dashboard_uids as uids
from conventions import promql as p
from conventions.durations import format_duration
from conventions.promql import promql_number
from conventions.routing import Category, Severity
from rules_src.alert import (
    AlertSpec,
    ExprBuilder,
    Prose,
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
NEVER_RAN_GRACE = format_duration(STALE_AFTER)
"""DriftJobNeverRan's `for`, unless the stack sets one: DriftJobStale's threshold (rules_src.stack derives it
from the stack's), the longest a healthy job goes between two successes, so between a deploy and its first."""
COST_INCREASE_THRESHOLD = 0.20  # the matured cohort costs 20 % more per application than the reference
REFERENCE_COST = 0.5  # scenarios: a reference cost per application exact in binary
PREVIOUS = "-previous"  # scenarios: the suffix of a model version other than the declared one
STEPS_OVER_GRACE = 60_000 - 2
"""Samples of the quiet never-ran scenario: a success stays recorded for ten days, past any grace (and short of
the 60000th sample, the first on a range's edge, see rules_src.alerts.scenarios)."""


def _verdict(scope: Scope, metric: c.Metric) -> p.Selector:
    """`metric` of the stack's drift job, as judged for the model version the stack declares."""
    return scope.drift(metric.name, p.equals(c.MODEL_VERSION, scope.model_version))


def _verdict_labels(scope: Scope, version: str | None = None) -> dict[str, str]:
    """The labels of a pushed verdict: job and stack (the grouping key), and the model version judged."""
    return {**scope.drift_labels, c.MODEL_VERSION: scope.model_version if version is None else version}


def _drifted_share_above(scope: Scope, threshold: float | None) -> p.Expr:
    assert threshold is not None
    return p.gt(_verdict(scope, c.DRIFT_SHARE), threshold)


def _last_run_failed(scope: Scope, threshold: float | None) -> p.Expr:
    return p.eq(scope.drift(c.DRIFT_LAST_RUN_SUCCESS.name), 0)


def _last_success_older(scope: Scope, threshold: float | None) -> p.Expr:
    """Seconds since the last successful run, which the job pushes as a Unix time."""
    assert threshold is not None
    return p.gt(p.sub(p.time(), scope.drift(c.DRIFT_LAST_SUCCESS_TIMESTAMP.name)), threshold)


def _drift_share(scope: Scope, threshold: float | None, breach: bool) -> Scenario:
    assert threshold is not None
    share = min(threshold * (1 + MARGIN), 1.0) if breach else threshold  # at the threshold is not "more than"
    labels = _verdict_labels(scope)
    return Scenario((gauge(c.DRIFT_SHARE.name, labels, share),), share, labels, active_from=0)


def _last_run(scope: Scope, threshold: float | None, breach: bool) -> Scenario:
    """A failed (or successful) last run, held for a day of one-minute samples: longer than the `for`."""
    status = 0 if breach else 1
    series = gauge(c.DRIFT_LAST_RUN_SUCCESS.name, scope.drift_labels, status, steps=DAY_OF_MINUTES)
    return Scenario((series,), status, scope.drift_labels, interval="1m", active_from=0)


def _flag_raised(flag: c.Metric, any_version: bool = False) -> ExprBuilder:
    """The job's last push set `flag`, a 0/1 verdict gauge, to 1: for the declared model version, or for any
    (a thin window is thin whichever model the run read)."""

    def build(scope: Scope, threshold: float | None) -> p.Expr:
        return p.eq(scope.drift(flag.name) if any_version else _verdict(scope, flag), 1)

    return build


def _flag_pushed(flag: c.Metric) -> ScenarioBuilder:
    """The job pushed `flag` at 1 (breach) or 0, for the declared model version."""

    def build(scope: Scope, threshold: float | None, breach: bool) -> Scenario:
        value = 1 if breach else 0
        labels = _verdict_labels(scope)
        return Scenario((gauge(flag.name, labels, value),), value, labels, active_from=0)

    return build


def _no_success_recorded(scope: Scope, threshold: float | None) -> p.Expr:
    """No last-success timestamp at all: the job never succeeded, or the Pushgateway lost it. The alert's
    `for` is the grace: Prometheus starts counting at its first evaluation after the deploy."""
    return p.absent(scope.drift(c.DRIFT_LAST_SUCCESS_TIMESTAMP.name))


def _success_recorded(scope: Scope, threshold: float | None, breach: bool) -> Scenario:
    """Nothing ever pushed fires once the grace has elapsed; a recorded success (a timestamp pushed at the
    start) keeps it quiet. Both run in the long test file (rules_src.rule_tests), since the grace is days."""
    if breach:
        return Scenario((), 1, scope.drift_labels, active_from=0)
    pushed = gauge(c.DRIFT_LAST_SUCCESS_TIMESTAMP.name, scope.drift_labels, 0, steps=STEPS_OVER_GRACE)
    return Scenario((pushed,), 0, scope.drift_labels, active_from=0)


def _other_version_judged(scope: Scope, threshold: float | None) -> p.Expr:
    """The last successful run judged a model version other than the declared one, one series per version."""
    info = scope.drift(c.DRIFT_MODEL_VERSION_INFO.name, p.differs(c.MODEL_VERSION, scope.model_version))
    return p.gt(p.max(info, by=(c.JOB, c.STACK, c.MODEL_VERSION)), 0)


def _judged_version(scope: Scope, threshold: float | None, breach: bool) -> Scenario:
    """The last run judged the previous model (breach), or the declared one."""
    labels = _verdict_labels(scope, f"{scope.model_version}{PREVIOUS}" if breach else None)
    return Scenario((gauge(c.DRIFT_MODEL_VERSION_INFO.name, labels, 1),), 1, labels, active_from=0)


def _matured_cost_increase_above(scope: Scope, threshold: float | None) -> p.Expr:
    """How far the matured cohort's cost per application is above the reference's, as a share of it. The job
    pushes the cohort's cost only when it has at least drift.minLabelledRows labelled rows, so a thinner cohort
    leaves this empty: quiet, with its row count pushed and "insufficient labels" in the summary."""
    assert threshold is not None
    increase = p.sub(
        p.div(_verdict(scope, c.MATURED_BUSINESS_COST), _verdict(scope, c.REFERENCE_BUSINESS_COST)), 1
    )
    return p.gt(increase, threshold)


def _matured_cost(scope: Scope, threshold: float | None, breach: bool) -> Scenario:
    """A reference cost of 0.5 per application and a matured cohort 2 % of the threshold above (or below) it."""
    assert threshold is not None
    cost = float(f"{REFERENCE_COST * (1 + threshold * (1 + MARGIN if breach else 1 - MARGIN)):g}")
    labels = _verdict_labels(scope)
    series = (
        gauge(c.MATURED_BUSINESS_COST.name, labels, cost),
        gauge(c.REFERENCE_BUSINESS_COST.name, labels, REFERENCE_COST),
        gauge(c.MATURED_LABELLED_ROWS.name, labels, 5000),
    )
    return Scenario(series, cost / REFERENCE_COST - 1, labels, active_from=0)


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
    impact="The last drift run found more than {threshold} of the important features drifted "
    "(Kolmogorov–Smirnov) against the training reference: the model scores applicants unlike those it "
    "learnt from, so its decisions may no longer be as good as measured at training.",
    causes=(
        "A real change in applicants (a new channel, an economic shift, a season).",
        "An upstream data change: a feature's unit, encoding or default changed in the caller's pipeline.",
        "The reference sample is stale: the model was trained long ago.",
    ),
    actions=(
        "Which features drifted at the last run, with which statistics (panels above)?",
        "Read Data_Drift_Report.html in drift.reportsUri for the last run's window.",
        "Rule out an upstream data bug with the calling team before retraining.",
        "Plan a retraining on recent data; check ModelPerformanceDegraded on the matured cohort.",
    ),
    related=(c.DRIFT_FEATURE_DRIFTED.name,),
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
    impact="The last drift run failed and its retries are over: no drift verdict is current, so data drift, "
    "prediction drift and performance degradation go unwatched until a run succeeds.",
    causes=(
        "The prediction log or the reference sample cannot be read (predictionLog.uri, model.artifactUri, "
        "credentials).",
        "The job ran out of memory or time (platform.driftJob resources, activeDeadline).",
        "The reports folder (drift.reportsUri) refuses writes.",
    ),
    actions=(
        "`kubectl -n {namespace} get jobs` and read the failed job pod's logs: the error is one line.",
        "Fix the cause, then start a run by hand: `kubectl -n {namespace} create job --from=cronjob/NAME "
        "drift-manual`, NAME being the CronJob that `kubectl -n {namespace} get cronjob` lists.",
        "The alert resolves at the next successful run.",
    ),
    on_airflow=Prose(
        causes=(
            "The prediction log or the reference sample cannot be read (predictionLog.uri, model.artifactUri, "
            "credentials).",
            "A try ran out of memory (platform.driftJob resources) or time: each try's execution_timeout is "
            "platform.driftJob.activeDeadline split over its 1 + backoffLimit tries.",
            "The drift pod could not start in {namespace}: Airflow's worker ServiceAccount is not the one the DAG's "
            "Role is bound to (drift.airflow.serviceAccount), an image pull error, or the namespace's quota.",
            "The reports folder (drift.reportsUri) refuses writes.",
        ),
        actions=(
            "In Airflow, open the failed run of DAG `{dag}` and read the log of task `{drift_task}`, one log per "
            "try (platform.driftJob.backoffLimit retries, drift.airflow.retryDelay apart): the error is "
            "`vigie drift run`'s one line, or the pod's events that KubernetesPodOperator logs.",
            "The status came from the run itself, or, for a try that could not push (no pod, killed at its "
            "timeout), from the task's on_failure_callback after the last try: its line is in the same log.",
            "Fix the cause, then clear task `{drift_task}` of that run (`airflow tasks clear {dag} -t "
            "{drift_task}`) or trigger a new run (`airflow dags trigger {dag}`); `{alert_task}` then posts the "
            "verdicts.",
            "The alert resolves at the next successful run.",
        ),
    ),
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
    impact="No drift run has succeeded for more than {threshold}: the verdicts on the drift dashboard are old "
    "and drift goes unwatched.",
    causes=(
        "The CronJob is suspended, or its schedule (drift.schedule) changed.",
        "Runs fail (see DriftJobFailed) or never start (image pull errors, quota, the ServiceAccount).",
        "Runs succeed but cannot push to the Pushgateway, so no success is recorded.",
    ),
    actions=(
        "`kubectl -n {namespace} get cronjob` (SUSPEND, LAST SCHEDULE) and the events of its last jobs.",
        "Check the Pushgateway in namespace {monitoring} is up and reachable from the scoring namespace.",
        "Run the job by hand once the cause is fixed.",
    ),
    on_airflow=Prose(
        causes=(
            "DAG `{dag}` is paused, fails to import, or its schedule (drift.schedule) changed.",
            "Runs fail (see DriftJobFailed) or never start: Airflow's scheduler is down, or the drift pod cannot "
            "start in {namespace} (image pull errors, quota, the DAG's Role and drift.airflow.serviceAccount).",
            "Runs succeed but cannot push to the Pushgateway, so no success is recorded.",
        ),
        actions=(
            "In Airflow, DAG `{dag}`: is it paused, when did its last run start, and what state are its tasks "
            "`{drift_task}` and `{alert_task}` in? Read `{drift_task}`'s log of each try; "
            "`airflow dags list-import-errors` shows a DAG file that no longer loads.",
            "Check the Pushgateway in namespace {monitoring} is up and reachable from the scoring namespace and "
            "from Airflow's workers in {airflow_namespace} (drift.airflow.pushgatewayUrl).",
            "Trigger a run once the cause is fixed: `airflow dags trigger {dag}`.",
        ),
    ),
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
    impact="The distribution of the model's scores in the last drift window differs from the reference's: the "
    "share of applicants near or past θ* changed, so accept and refuse rates will move.",
    causes=(
        "Data drift in the important features (check DataDriftDetected).",
        "A different model version served part of the window.",
        "A change in the mix of applicants without a change in each feature's distribution.",
    ),
    actions=(
        "Read the statistic and p-value of the last runs (panels above) and Prediction_Drift_Report.html.",
        "Compare with the refusal rate on the model and business dashboard.",
        "Plan a retraining if data drift confirms it.",
    ),
    related=(c.PREDICTION_DRIFT_STATISTIC.name, c.PREDICTION_DRIFT_P_VALUE.name),
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
    expr=_flag_raised(c.DRIFT_INSUFFICIENT_DATA, any_version=True),
    summary="The last drift run had too few rows to judge",
    description="The last drift run of stack {stack} found fewer rows in its window than drift.minRows: it drew "
    "no verdict, so drift is not being watched. Is the scoring service logging its predictions?",
    value_format=ValueFormat.NONE,
    dashboard=uids.DRIFT,
    scenario=_flag_pushed(c.DRIFT_INSUFFICIENT_DATA),
    impact="The last drift run's window held fewer rows than drift.minRows: it drew no verdict rather than a 'no "
    "drift' that a handful of rows cannot support, so drift is not being judged this period.",
    causes=(
        "Little traffic in the window (a holiday, a new stack).",
        "The prediction log is not written (see PredictionLogGap) or the job reads another path than the "
        "service writes.",
        "drift.window is shorter than the schedule assumes.",
    ),
    actions=(
        "How many rows did the run compare (panels above)?",
        "Compare with the scored applications over the same window on the model and business dashboard.",
        "Check that serving.predictionLog.uri and the job's settings point at the same place.",
    ),
    related=(c.DRIFT_ROWS.name,),
)

MODEL_PERFORMANCE = AlertSpec(
    name="ModelPerformanceDegraded",
    family="performance",
    service="drift",
    category=Category.ML_DEGRADATION,
    severity=Severity.WARNING,
    unit=Unit.RATIO,
    threshold=COST_INCREASE_THRESHOLD,
    for_=DRIFT_FOR,
    expr=_matured_cost_increase_above,
    summary="The model costs more than {threshold} above its reference on matured labels",
    description="On the matured cohort of stack {stack} (predictions of model {model_version} whose true labels "
    "have arrived, drift.labelDelay after scoring), the business cost per application is {value} above the "
    "reference's, more than {threshold}: the model accepts defaulters or refuses good applicants more than at "
    "training; plan a retraining.",
    value_format=ValueFormat.PERCENT,
    dashboard=uids.DRIFT,
    scenario=_matured_cost,
    impact="On applications scored drift.labelDelay ago whose outcomes are now known, the model's business cost "
    "per application is more than {threshold} above its reference: it accepts more defaulters or refuses "
    "more good applicants than at training. This is the measured loss, not a forecast.",
    causes=(
        "The population drifted since training (see the data drift verdicts of that period).",
        "The labels ingested are wrong or partial (`vigie model labels` fed a file with a bias).",
        "The business costs in vigie:model changed their meaning (costFalseNegative).",
    ),
    actions=(
        "Compare the matured and reference costs per application (panels above); read "
        "Matured_Performance_Report.html.",
        "Check the labels' source and the matured cohort's size (drift.minLabelledRows).",
        "Retrain on recent labelled data and compare the new model's cost before deploying it.",
    ),
    related=(c.BUSINESS_COST.name,),
)

DRIFT_JOB_NEVER_RAN = AlertSpec(
    name="DriftJobNeverRan",
    family="drift-job",
    service="drift",
    category=Category.ML_DEGRADATION,
    severity=Severity.WARNING,
    unit=Unit.NONE,
    threshold=None,
    for_=NEVER_RAN_GRACE,
    expr=_no_success_recorded,
    summary="No successful drift run recorded for {for_}",
    description="No successful drift run of stack {stack} has been recorded for {for_} (the grace after a deploy: "
    "DriftJobStale's threshold unless set): the job never ran, cannot start, or the Pushgateway lost its data. "
    "Drift is not being watched; see the scheduler's runs (the CronJob's events, or the DAG's runs in Airflow).",
    value_format=ValueFormat.NONE,
    dashboard=uids.DRIFT,
    scenario=_success_recorded,
    impact="No successful drift run is recorded at all, for {for_}: either the job never ran since the stack was "
    "deployed, or the Pushgateway lost what it held. Drift is not being watched.",
    causes=(
        "The CronJob was never created or is suspended.",
        "Every run fails before pushing (see DriftJobFailed).",
        "The Pushgateway restarted without its volume and lost its metrics.",
    ),
    actions=(
        "`kubectl -n {namespace} get cronjob,jobs`: has any run happened?",
        "Check the Pushgateway's volume in namespace {monitoring}: a wiped Pushgateway needs one successful run to "
        "be whole again.",
        "Run the job by hand.",
    ),
    on_airflow=Prose(
        causes=(
            "DAG `{dag}` never reached Airflow: its ConfigMap in namespace {airflow_namespace} is not mounted in the "
            "DAG folder, or the file fails to import.",
            "DAG `{dag}` is paused: Airflow pauses a new DAG until someone unpauses it "
            "([core] dags_are_paused_at_creation).",
            "Every run fails before pushing (see DriftJobFailed).",
            "The Pushgateway restarted without its volume and lost its metrics.",
        ),
        actions=(
            "In Airflow: is DAG `{dag}` listed (`airflow dags list-import-errors` if not), unpaused "
            "(`airflow dags unpause {dag}`), and has it any run? Read task `{drift_task}`'s log of the last one.",
            "Check the Pushgateway's volume in namespace {monitoring}: a wiped Pushgateway needs one successful run to "
            "be whole again.",
            "Trigger a run: `airflow dags trigger {dag}`.",
        ),
    ),
    related=(c.DRIFT_LAST_RUN_SUCCESS.name,),
)

DRIFT_VERDICT_VERSION = AlertSpec(
    name="DriftVerdictVersionMismatch",
    family="drift-job",
    service="drift",
    category=Category.ML_DEGRADATION,
    severity=Severity.WARNING,
    unit=Unit.NONE,
    threshold=None,
    for_=DRIFT_FOR,
    expr=_other_version_judged,
    summary="The last drift verdict is about another model version",
    description="The last drift run of stack {stack} judged model version {model_version}, not the version "
    "this stack declares: the drift alerts ignore that verdict, so drift is not being watched until the next "
    "run (run the job now, or check that model.artifactUri holds the declared model).",
    value_format=ValueFormat.NONE,
    dashboard=uids.DRIFT,
    scenario=_judged_version,
    impact="The last drift verdict is about another model version than the declared {model_version}: the drift "
    "alerts ignore it, so the declared model's drift is not judged until the next run.",
    causes=(
        "A new model was declared (model.version) since the last run: the next run judges it.",
        "model.artifactUri still holds the previous model, so the job judges that one.",
        "The serving replicas still serve the previous version (see ModelVersionUnexpected).",
    ),
    actions=(
        "Which version do the replicas serve (panels above)?",
        "Check the artifact at model.artifactUri against vigie:model.version.",
        "Run the drift job now rather than waiting for the schedule.",
    ),
    related=(c.MODEL_VERSION_INFO.name,),
)

ALERTS = (
    DATA_DRIFT,
    PREDICTION_DRIFT,
    MODEL_PERFORMANCE,
    DRIFT_JOB_FAILED,
    DRIFT_JOB_STALE,
    DRIFT_JOB_NEVER_RAN,
    DRIFT_DATA_INSUFFICIENT,
    DRIFT_VERDICT_VERSION,
)

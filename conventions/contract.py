"""The metric contract: every series the scoring service and the drift job export, and every recording rule
Vigie derives from them.

Rules, dashboards, the scoring app and the drift job take metric and label names only from here, so a
renamed metric cannot leave a rule or a panel pointing at nothing. Names are as Prometheus stores them:
Ray's exporter prefixes custom metrics with `ray_` and adds `_total` to counters (measured on ray 2.60).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    COUNTER = "counter"
    GAUGE = "gauge"
    HISTOGRAM = "histogram"


class Source(StrEnum):
    RAY_SERVE = "Ray Serve built-in"
    RAY_NODE = "Ray node metrics"
    SCORING_APP = "scoring app (ray.serve.metrics)"
    DRIFT_JOB = "drift job (Pushgateway)"


# Label names used by rules, dashboards and exporters.
NAMESPACE = "namespace"
APPLICATION = "application"
DEPLOYMENT = "deployment"
REPLICA = "replica"
ROUTE = "route"
METHOD = "method"
STATUS_CODE = "status_code"
MODEL_VERSION = "model_version"
FEATURE = "feature"
DATASET = "dataset"
TEST = "test"
REASON = "reason"
"""Why the prediction log dropped records (DROP_REASONS)."""
"""The two-sample test of a feature: "ks" for ordered values, "chisquare" for categories."""
STACK = "stack"
JOB = "job"
LE = "le"
POD = "pod"
CONTAINER = "container"
ENDPOINT = "endpoint"
"""`namespace`, `pod`, `container`, `endpoint` and `job` are the labels a PodMonitor gives every series it scrapes."""
NODE_TYPE_POD_LABEL = "ray_io_node_type"
"""KubeRay's `ray.io/node-type` pod label ("head" or "worker"), as the PodMonitor's podTargetLabels sanitise it."""
RAY_NODE_TYPE = "RayNodeType"
"""Ray's own tag on its node metrics: "head" or "worker", wherever Ray runs (ray 2.60's reporter agent)."""
PROMETHEUS_REPLICA = "prometheus_replica"
"""The external label naming each Prometheus replica (prometheus-operator's replicaExternalLabelName), which
the operator drops from the alerts the replicas send, so Alertmanager sees their alerts as one."""
HEAD_NODE = "head"
WORKER_NODE = "worker"

SCORING_ROUTE = "/predict"
"""The route of one credit application: what the seed's latency alerts are about."""
BATCH_ROUTE = "/predict/batch"
"""The route of a batch of applications, slower by design: it has its own latency alert."""
HEALTH_CHECK_ROUTE = "/-/healthz"
"""Serve's health-check route. Behind HAProxy (`ingress: haproxy`) each node's HAProxy probes every replica on
it every 5 s, and the replicas count the probes as requests of the application: request rates leave it out, or
an idle service would never read 0 requests."""

RAY_PREFIX = "ray_"
DRIFT_PUSH_JOB = "vigie-drift"
"""The Pushgateway `job` grouping label of the drift job; the stack name is the other grouping label."""


@dataclass(frozen=True)
class Metric:
    """One exported series family."""

    name: str
    """The name Prometheus stores (for histograms, the base of _bucket/_sum/_count)."""
    kind: Kind
    source: Source
    help: str
    labels: tuple[str, ...]
    buckets: tuple[float, ...] = ()
    declared: str = ""
    """The name the exporting code registers, where it differs from `name` (Ray adds a prefix and _total)."""

    @property
    def bucket(self) -> str:
        return f"{self.name}_bucket"

    @property
    def sum(self) -> str:
        return f"{self.name}_sum"

    @property
    def count(self) -> str:
        return f"{self.name}_count"


def _ray_custom(
    declared: str, kind: Kind, help: str, labels: tuple[str, ...], **kw: tuple[float, ...]
) -> Metric:
    name = RAY_PREFIX + declared + ("_total" if kind is Kind.COUNTER else "")
    serve_labels = (APPLICATION, DEPLOYMENT, REPLICA)
    return Metric(name, kind, Source.SCORING_APP, help, serve_labels + labels, declared=declared, **kw)


# Ray Serve's request latency buckets in milliseconds (ray.serve._private.constants.DEFAULT_LATENCY_BUCKET_MS).
LATENCY_BUCKETS_MS = (1, 2, 5, 10, 20, 50, 100, 200, 300, 400, 500, 1000, 2000, 5000, 10000, 60000, 120000,
                      300000, 600000)  # fmt: skip
SCORE_BUCKETS = tuple(round(0.05 * i, 2) for i in range(1, 20))

# --- Ray Serve built-ins -------------------------------------------------------------------------------------
HTTP_REQUESTS = Metric(
    "ray_serve_num_http_requests_total", Kind.COUNTER, Source.RAY_SERVE,
    "HTTP requests handled by Serve's proxy, by status code.",
    (APPLICATION, ROUTE, METHOD, STATUS_CODE),
)  # fmt: skip
HTTP_LATENCY_MS = Metric(
    "ray_serve_http_request_latency_ms", Kind.HISTOGRAM, Source.RAY_SERVE,
    "End-to-end HTTP request latency at Serve's proxy, in milliseconds.",
    (APPLICATION, ROUTE, METHOD, STATUS_CODE), buckets=LATENCY_BUCKETS_MS,
)  # fmt: skip
REPLICAS_HEALTHY = Metric(
    "ray_serve_deployment_replica_healthy", Kind.GAUGE, Source.RAY_SERVE,
    "1 per healthy running replica.", (APPLICATION, DEPLOYMENT, REPLICA),
)  # fmt: skip
APPLICATION_STATUS = Metric(
    "ray_serve_application_status", Kind.GAUGE, Source.RAY_SERVE,
    "A Serve application's status as a number: 6 while RUNNING (0 unknown, 1 deploy failed, 2 unhealthy, "
    "3 not started, 4 deleting, 5 deploying).", (APPLICATION,),
)  # fmt: skip
APPLICATION_RUNNING = 6
"""ray_serve_application_status of a RUNNING application (ray.serve.schema ApplicationStatus.to_numeric)."""
AUTOSCALING_TARGET_REPLICAS = Metric(
    "ray_serve_autoscaling_target_replicas", Kind.GAUGE, Source.RAY_SERVE,
    "Replicas the autoscaler is moving to.", (APPLICATION, DEPLOYMENT),
)  # fmt: skip
AUTOSCALING_DESIRED_REPLICAS = Metric(
    "ray_serve_autoscaling_desired_replicas", Kind.GAUGE, Source.RAY_SERVE,
    "Replicas the autoscaling policy asks for before delays and bounds.", (APPLICATION, DEPLOYMENT),
)  # fmt: skip
AUTOSCALING_TARGET_ONGOING = Metric(
    "ray_serve_autoscaling_target_ongoing_requests", Kind.GAUGE, Source.RAY_SERVE,
    "The autoscaling target of ongoing requests per replica.", (APPLICATION, DEPLOYMENT),
)  # fmt: skip
AUTOSCALING_TOTAL_REQUESTS = Metric(
    "ray_serve_autoscaling_total_requests", Kind.GAUGE, Source.RAY_SERVE,
    "Ongoing requests the autoscaler sees across replicas.", (APPLICATION, DEPLOYMENT),
)  # fmt: skip

# --- Ray node ------------------------------------------------------------------------------------------------
NODE_CPU_UTILIZATION = Metric(
    "ray_node_cpu_utilization", Kind.GAUGE, Source.RAY_NODE,
    "CPU utilisation of a Ray node (one pod on Kubernetes), in percent of its CPUs.", ("ip", RAY_NODE_TYPE),
)  # fmt: skip

# --- The scoring app's own metrics ---------------------------------------------------------------------------
ACCEPTED_CREDITS = _ray_custom(
    "scoring_accepted_credits", Kind.COUNTER, "Applications accepted (score < θ*).", (MODEL_VERSION,)
)
REJECTED_CREDITS = _ray_custom(
    "scoring_rejected_credits", Kind.COUNTER, "Applications rejected (score ≥ θ*).", (MODEL_VERSION,)
)
SCORE = _ray_custom(
    "scoring_score",
    Kind.HISTOGRAM,
    "Probability of default returned by the model.",
    (),
    buckets=SCORE_BUCKETS,
)
MODEL_VERSION_INFO = _ray_custom(
    "model_version_info", Kind.GAUGE, "1 for the model version a replica serves.", (MODEL_VERSION,)
)
DECISION_THRESHOLD = _ray_custom(
    "scoring_decision_threshold", Kind.GAUGE, "θ*: the score at or above which an application is rejected.",
    (MODEL_VERSION,),
)  # fmt: skip
PREDICTION_LOG_ACCEPTED = _ray_custom(
    "scoring_prediction_log_accepted_records", Kind.COUNTER,
    "Prediction records handed to the prediction log (spooled to the replica's disk before the answer).", (),
)  # fmt: skip
PREDICTION_LOG_WRITTEN = _ray_custom(
    "scoring_prediction_log_written_records", Kind.COUNTER,
    "Prediction records written to the prediction log as Parquet, replayed ones included.", (),
)  # fmt: skip
PREDICTION_LOG_DROPPED = _ray_custom(
    "scoring_prediction_log_dropped_records", Kind.COUNTER,
    "Prediction records the log gave up on, by reason: overflow (too many unwritten while storage fails) or "
    "torn_spool (a dead writer's spool segment ended in a torn frame).", (REASON,),
)  # fmt: skip
DROP_OVERFLOW = "overflow"
DROP_TORN_SPOOL = "torn_spool"
DROP_REASONS = (DROP_OVERFLOW, DROP_TORN_SPOOL)
"""The values of PREDICTION_LOG_DROPPED's reason label."""
PREDICTION_LOG_WRITE_FAILURES = _ray_custom(
    "scoring_prediction_log_write_failures", Kind.COUNTER, "Prediction-log batches that failed to write.", ()
)

# --- The drift job (pushed to the Pushgateway, grouped by job and stack) -------------------------------------
_DRIFT = (JOB, STACK)
_VERDICT = (*_DRIFT, MODEL_VERSION)
"""Labels of a run's verdicts: the model version of the artifact the run judged (a label, not a grouping key,
so the next run's push replaces the group whatever its version). The job's status metrics carry none: a run can
fail before it reads the artifact."""
DRIFT_SHARE = Metric(
    "vigie_drift_share", Kind.GAUGE, Source.DRIFT_JOB,
    "Share of the important features whose distribution drifted (KS; chi-square on categories), 0 to 1.", _VERDICT,
)  # fmt: skip
DRIFT_DRIFTED_FEATURES = Metric(
    "vigie_drift_drifted_features", Kind.GAUGE, Source.DRIFT_JOB,
    "Important features that drifted.", _VERDICT,
)  # fmt: skip
DRIFT_IMPORTANT_FEATURES = Metric(
    "vigie_drift_important_features", Kind.GAUGE, Source.DRIFT_JOB,
    "Important features tested (top N by model importance).", _VERDICT,
)  # fmt: skip
DRIFT_FEATURE_STATISTIC = Metric(
    "vigie_drift_feature_statistic", Kind.GAUGE, Source.DRIFT_JOB,
    "Two-sample test statistic of one feature, reference against current (KS, or chi-square on categories).",
    (*_VERDICT, FEATURE, TEST),
)  # fmt: skip
DRIFT_FEATURE_P_VALUE = Metric(
    "vigie_drift_feature_p_value", Kind.GAUGE, Source.DRIFT_JOB,
    "p-value of one feature's two-sample test (KS, or chi-square on categories).", (*_VERDICT, FEATURE, TEST),
)  # fmt: skip
DRIFT_FEATURE_DRIFTED = Metric(
    "vigie_drift_feature_drifted", Kind.GAUGE, Source.DRIFT_JOB,
    "1 when the feature's p-value is below the threshold.", (*_VERDICT, FEATURE, TEST),
)  # fmt: skip
PREDICTION_DRIFT_STATISTIC = Metric(
    "vigie_prediction_drift_statistic", Kind.GAUGE, Source.DRIFT_JOB,
    "Kolmogorov–Smirnov statistic of the score distribution, reference against current.", _VERDICT,
)  # fmt: skip
PREDICTION_DRIFT_DETECTED = Metric(
    "vigie_prediction_drift_detected", Kind.GAUGE, Source.DRIFT_JOB,
    "1 when the run found the score distribution drifted (KS p-value below drift.pValue), 0 otherwise.", _VERDICT,
)  # fmt: skip
PREDICTION_DRIFT_P_VALUE = Metric(
    "vigie_prediction_drift_p_value", Kind.GAUGE, Source.DRIFT_JOB,
    "Kolmogorov–Smirnov p-value of the score distribution.", _VERDICT,
)  # fmt: skip
BUSINESS_COST = Metric(
    "vigie_drift_business_cost", Kind.GAUGE, Source.DRIFT_JOB,
    "Business cost per application on labelled current data (FN and FP costs from settings).", _VERDICT,
)  # fmt: skip
REFERENCE_BUSINESS_COST = Metric(
    "vigie_drift_reference_business_cost", Kind.GAUGE, Source.DRIFT_JOB,
    "Business cost per application on the reference data at θ*, the base both cohorts' costs compare with.",
    _VERDICT,
)  # fmt: skip
AUC = Metric(
    "vigie_drift_auc", Kind.GAUGE, Source.DRIFT_JOB,
    "ROC AUC on labelled current data.", _VERDICT,
)  # fmt: skip
DRIFT_ROWS = Metric(
    "vigie_drift_rows", Kind.GAUGE, Source.DRIFT_JOB,
    "Rows compared, by dataset (reference or current).", (*_VERDICT, DATASET),
)  # fmt: skip
DRIFT_INSUFFICIENT_DATA = Metric(
    "vigie_drift_insufficient_data", Kind.GAUGE, Source.DRIFT_JOB,
    "1 when the last run's window held fewer rows than drift.minRows, so no verdict was drawn.", _VERDICT,
)  # fmt: skip
DRIFT_MODEL_VERSION_INFO = Metric(
    "vigie_drift_model_version_info", Kind.GAUGE, Source.DRIFT_JOB,
    "1 for the model version the last successful run judged (the artifact it read).", _VERDICT,
)  # fmt: skip
MATURED_LABELLED_ROWS = Metric(
    "vigie_drift_matured_labelled_rows", Kind.GAUGE, Source.DRIFT_JOB,
    "Rows of the matured cohort (the window of the same length ending drift.labelDelay ago) with a true label.",
    _VERDICT,
)  # fmt: skip
MATURED_BUSINESS_COST = Metric(
    "vigie_drift_matured_business_cost", Kind.GAUGE, Source.DRIFT_JOB,
    "Business cost per application on the matured cohort; pushed only with at least drift.minLabelledRows.",
    _VERDICT,
)  # fmt: skip
MATURED_AUC = Metric(
    "vigie_drift_matured_auc", Kind.GAUGE, Source.DRIFT_JOB,
    "ROC AUC on the matured cohort; pushed only with at least drift.minLabelledRows of both classes.", _VERDICT,
)  # fmt: skip
DRIFT_LAST_RUN_SUCCESS = Metric(
    "vigie_drift_last_run_success", Kind.GAUGE, Source.DRIFT_JOB,
    "1 when the last drift run succeeded, 0 when it failed.", _DRIFT,
)  # fmt: skip
DRIFT_LAST_RUN_TIMESTAMP = Metric(
    "vigie_drift_last_run_timestamp_seconds", Kind.GAUGE, Source.DRIFT_JOB,
    "Unix time the last drift run ended.", _DRIFT,
)  # fmt: skip
DRIFT_LAST_SUCCESS_TIMESTAMP = Metric(
    "vigie_drift_last_success_timestamp_seconds", Kind.GAUGE, Source.DRIFT_JOB,
    "Unix time the last successful drift run ended.", _DRIFT,
)  # fmt: skip

EXPORTED: tuple[Metric, ...] = tuple(v for v in list(globals().values()) if isinstance(v, Metric))
SERVICE_METRICS = tuple(
    m for m in EXPORTED if m.source in (Source.RAY_SERVE, Source.RAY_NODE, Source.SCORING_APP)
)


@dataclass(frozen=True)
class Recording:
    """A recording rule's name and what it means; its expression lives in the family file of the alerts that
    read it (rules_src.alerts)."""

    name: str
    help: str


REQUEST_RATE = Recording("application:http_requests:rate1m", "Requests per second, by application.")
ERROR_RATE_5XX = Recording("error_rate_5xx", "Share of requests answered 5xx over 1 minute.")
CLIENT_ERROR_RATE = Recording(
    "application:http_requests_4xx:ratio_rate1m", "Share of requests answered 4xx over 1 minute."
)
LATENCY_P50 = Recording(
    "application:http_request_duration_seconds:p50", f"Median latency of {SCORING_ROUTE}, seconds."
)
LATENCY_P95 = Recording(
    "application:http_request_duration_seconds:p95", f"p95 latency of {SCORING_ROUTE}, seconds."
)
LATENCY_P99 = Recording(
    "application:http_request_duration_seconds:p99", f"p99 latency of {SCORING_ROUTE}, seconds."
)
BATCH_LATENCY_P99 = Recording(
    "application:batch_request_duration_seconds:p99", f"p99 latency of {BATCH_ROUTE}, seconds."
)
CPU_USAGE = Recording(
    "cpu_usage_percentage",
    "Mean CPU utilisation of the scoring cluster's worker nodes (the replicas'), percent.",
)
ACCEPTED_COUNT = Recording("accepted_credit_count", "Applications accepted over the last hour.")
REJECTED_COUNT = Recording("rejected_credit_count", "Applications rejected over the last hour.")
SCORE_MEAN = Recording("score_distribution_mean", "Mean score returned over 5 minutes.")
REFUSAL_RATE = Recording(
    "application:credit_refusals:ratio_rate10m", "Share of applications rejected over 10 minutes."
)
PREDICTION_LOG_GAP = Recording(
    "application:prediction_log_missing:ratio_increase30m",
    "Share of the applications scored over 30 minutes that the prediction log has not written.",
)

RECORDINGS: tuple[Recording, ...] = tuple(v for v in list(globals().values()) if isinstance(v, Recording))

SEED_MAPPING: tuple[tuple[str, str], ...] = (
    ("http_requests_total", HTTP_REQUESTS.name),
    ("http_request_duration_seconds_bucket", f"{HTTP_LATENCY_MS.bucket} (milliseconds; quantiles recorded as "
     f"{LATENCY_P95.name} and {LATENCY_P99.name}, in seconds)"),
    ("cpu_usage_percentage", f"recording rule {CPU_USAGE.name} over {NODE_CPU_UTILIZATION.name}"),
    ("error_rate_5xx", f"recording rule {ERROR_RATE_5XX.name} over {HTTP_REQUESTS.name}"),
    ("model_version_info", MODEL_VERSION_INFO.name),
    ("accepted_credit_count", f"recording rule {ACCEPTED_COUNT.name} over {ACCEPTED_CREDITS.name}"),
    ("rejected_credit_count", f"recording rule {REJECTED_COUNT.name} over {REJECTED_CREDITS.name}"),
    ("score_distribution_mean", f"recording rule {SCORE_MEAN.name} over {SCORE.sum} / {SCORE.count}"),
)  # fmt: skip
"""Each metric named in the seed's tables and the series that carries it (the README's mapping table)."""

# Rule groups, in evaluation order: recording rules first, so alerts read fresh series.
GROUP_RECORDING = "vigie-scoring.rules"
GROUP_SCORING_ALERTS = "vigie-scoring.alerts"
GROUP_DRIFT_ALERTS = "vigie-drift.alerts"
GROUP_META_ALERTS = "vigie-meta.alerts"

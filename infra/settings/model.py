"""The settings of one stack: what `Pulumi.<stack>.yaml` may say under the `vigie:` namespace.

Each top-level field is one `vigie:<key>` config entry. YAML keys are camelCase; unknown keys are rejected.
Secrets are never values here: a receiver names the secret config key that holds its credential.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

import fsspec
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from conventions.durations import Duration
from conventions.routing import Category, Severity
from infra.settings.cron import CronSchedule
from infra.settings.types import HttpBaseUrl, K8sName, PositiveInt, PromDuration, SecretKey


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=False)


# --- serving --------------------------------------------------------------------------------------------------
SERVE_METRICS_INTERVAL_S = 10.0
"""How often a Serve replica pushes its autoscaling figures to the controller (Serve's metrics_interval_s)."""


class Autoscaling(Section):
    """Ray Serve's autoscaling_config for the scoring deployment."""

    min_replicas: int = Field(1, ge=1, description="Replicas kept running when idle.")
    max_replicas: PositiveInt = Field(4, description="Upper bound on replicas.")
    target_ongoing_requests: float = Field(8, gt=0, description="Ongoing requests per replica to aim for.")
    upscale_delay: PromDuration = Field(
        Duration.parse("30s"), description="How long load must stay high before adding."
    )
    downscale_delay: PromDuration = Field(
        Duration.parse("10m"), description="How long load must stay low before removing."
    )
    look_back_period: PromDuration = Field(
        Duration.parse("30s"),
        description="Window over which Serve averages the replicas' ongoing requests and CPU before deciding.",
    )

    @field_validator("look_back_period")
    @classmethod
    def _longer_than_a_report(cls, value: Duration) -> Duration:
        if value.seconds <= SERVE_METRICS_INTERVAL_S:
            raise ValueError(
                f"must be longer than {SERVE_METRICS_INTERVAL_S:g}s, the interval at which replicas report their "
                f"figures to Serve's controller (got {value.text})"
            )
        return value

    @model_validator(mode="after")
    def _min_below_max(self) -> Autoscaling:
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"minReplicas ({self.min_replicas}) must be at most maxReplicas ({self.max_replicas})"
            )
        return self


class ReplicaResources(Section):
    """What one scoring replica reserves from Ray (and, on Kubernetes, from its pod)."""

    cpus: float = Field(1.0, gt=0, description="Ray CPUs per replica (num_cpus).")
    memory: str = Field(
        "1Gi",
        pattern=r"^[1-9][0-9]*(Mi|Gi)$",
        description="Memory per replica, in Mi or Gi (e.g. 512Mi, 2Gi).",
    )


class Batching(Section):
    """Ray Serve's @serve.batch in the model path: concurrent requests are scored in one model call."""

    max_batch_size: PositiveInt = Field(16, description="Most applications scored in one model call.")
    batch_wait_timeout: PromDuration = Field(
        Duration.parse("0ms"),
        description="Longest a request waits for a batch to fill: 0ms, a batch takes what is queued and never "
        "waits (behind HAProxy a 5 ms wait cost 40 % of the throughput at 8 callers and gained nothing at 32; "
        "bench/serving_benchmark.py); e.g. 2ms to trade latency for fuller batches.",
    )


class PredictionLog(Section):
    """Where every scored application is appended (Parquet, partitioned by date) for the drift job."""

    uri: str = Field(
        "run/predictions",
        min_length=1,
        description="A folder (relative paths are under the project) or an fsspec URI such as "
        "s3://bucket/prefix; the drift job reads the same.",
    )
    flush_rows: PositiveInt = Field(1000, description="Write a Parquet part once this many records wait.")
    flush_interval: PromDuration = Field(
        Duration.parse("10s"), description="Write waiting records at least this often."
    )
    spool_dir: str = Field(
        "run/prediction-spool",
        min_length=1,
        description="Local runs' write-ahead spool folder (relative paths are under the project): every "
        "answered record is appended there before the answer, so a killed replica process loses none. On "
        "Kubernetes each worker pod's spool is an emptyDir volume, whatever this says.",
    )
    max_unwritten_rows: PositiveInt = Field(
        200_000,
        description="Most records a replica keeps accepted but not yet written as Parquet (storage failing); "
        "beyond it new records are dropped and counted. Also the most a lost node can lose per replica.",
    )

    @field_validator("uri")
    @classmethod
    def _known_protocol(cls, uri: str) -> str:
        return _check_fsspec_uri(uri)

    @field_validator("spool_dir")
    @classmethod
    def _local_folder(cls, folder: str) -> str:
        if "://" in folder:
            raise ValueError(f"must be a folder on the replica's local disk, not a URI ({folder!r})")
        return folder


MIN_REQUEST_BYTES = 4096
"""One applicant's JSON is under 1 KB even pretty-printed, so a smaller limit could refuse every request."""


class Serving(Section):
    """The Ray Serve scoring service."""

    namespace: K8sName = Field("scoring", description="Kubernetes namespace of the RayService.")
    application: str = Field("scoring", min_length=1, description="Serve application name (metric label).")
    max_ongoing_requests: PositiveInt = Field(64, description="Per-replica cap; high enough for batches.")
    max_request_bytes: int = Field(
        2 * 2**20,
        ge=MIN_REQUEST_BYTES,
        description="Largest request body accepted, in bytes: a larger one gets 413 before it is parsed. The "
        "default holds a full batch (1,000 applicants, 0.45 MB as clients usually write them, 0.8 MB "
        "pretty-printed at full precision) with room to spare.",
    )
    autoscaling: Autoscaling = Field(default_factory=Autoscaling)
    resources: ReplicaResources = Field(default_factory=ReplicaResources)
    batching: Batching = Field(default_factory=Batching)
    prediction_log: PredictionLog = Field(default_factory=PredictionLog)
    graceful_shutdown_timeout: PromDuration = Field(
        Duration.parse("30s"),
        description="How long a stopping replica may take to finish its requests and flush its log.",
    )
    ingress: Literal["proxy", "direct", "haproxy"] = Field(
        "haproxy",
        description="haproxy: Serve's HAProxy ingress, one HAProxy per node on the HTTP port in front of the "
        "replicas' direct ingress (one entry point, load spread over replicas, at direct's cost: about ten "
        "times Serve's proxy's throughput here, see bench/serving_benchmark.py); proxy: Serve's HTTP proxy "
        "routes every request to a replica; direct: each replica serves HTTP itself on a port of its own, so "
        "a load balancer must front the replicas.",
    )
    access_log: bool = Field(
        True,
        description="Serve's access log, one line per request in the replica logs (metrics count requests "
        "either way; off saves about 6 % of a replica's CPU per request).",
    )

    @model_validator(mode="after")
    def _batch_fits(self) -> Serving:
        if self.batching.max_batch_size > self.max_ongoing_requests:
            raise ValueError(
                f"batching.maxBatchSize ({self.batching.max_batch_size}) must be at most maxOngoingRequests "
                f"({self.max_ongoing_requests}), or batches can never fill"
            )
        return self


class Model(Section):
    """The credit-scoring model the stack serves."""

    version: str = Field(min_length=1, description="The model version this stack declares; others alert.")
    cost_false_negative: float = Field(10.0, gt=0, description="Business cost of accepting a defaulter.")
    cost_false_positive: float = Field(1.0, gt=0, description="Business cost of refusing a good applicant.")
    artifact_uri: str = Field(
        "run/model",
        min_length=1,
        description="The model artifact folder: relative paths are under the project, or an fsspec URI.",
    )

    @field_validator("artifact_uri")
    @classmethod
    def _known_protocol(cls, uri: str) -> str:
        return _check_fsspec_uri(uri)


def _check_fsspec_uri(uri: str) -> str:
    protocol, sep, _ = uri.partition("://")
    if sep and protocol not in fsspec.available_protocols():
        raise ValueError(
            f"unknown storage protocol {protocol!r} (examples: run/predictions, s3://bucket/prefix)"
        )
    return uri


# --- monitoring -----------------------------------------------------------------------------------------------
class Monitoring(Section):
    """kube-prometheus-stack: where it runs and how it samples."""

    namespace: K8sName = Field("monitoring", description="Namespace of Prometheus, Alertmanager, Grafana.")
    grafana_url: HttpBaseUrl = Field(description="External Grafana URL, for dashboard links in alerts.")
    scrape_interval: PromDuration = Field(Duration.parse("30s"), description="Prometheus scrape interval.")
    evaluation_interval: PromDuration = Field(Duration.parse("30s"), description="Rule evaluation interval.")
    retention: PromDuration = Field(Duration.parse("15d"), description="Prometheus TSDB retention.")
    prometheus_replicas: PositiveInt = Field(
        1, description="Prometheus replicas, each scraping and evaluating everything (HA from 2)."
    )
    alertmanager_replicas: PositiveInt = Field(
        1, description="Alertmanager replicas; from 2 they form one cluster that notifies each alert once."
    )


# --- alerting -------------------------------------------------------------------------------------------------
SLACK_POST_MESSAGE_URL = "https://slack.com/api/chat.postMessage"
"""Slack's Web API method a bot token posts with; the message goes to the `channel` it names."""


class Slack(Section):
    """One Slack channel, reached by an incoming webhook or by a bot token (exactly one). A webhook posts only to
    the channel it was created for, whatever `channel` says; a bot token posts to `channel`."""

    channel: str = Field(pattern=r"^[#@][\w.-]+$", description="Channel, e.g. #OPS-CRITICAL.")
    webhook_url_secret: SecretKey | None = Field(
        None, description="Secret config key holding the incoming-webhook URL created for `channel`."
    )
    bot_token_secret: SecretKey | None = Field(
        None,
        description="Secret config key holding a Slack app's bot token (xoxb-…, scope chat:write, a member of "
        "`channel`): Alertmanager posts with chat.postMessage, which honours `channel`.",
    )

    @model_validator(mode="after")
    def _one_credential(self) -> Slack:
        if (self.webhook_url_secret is None) == (self.bot_token_secret is None):
            raise ValueError(
                "give exactly one of webhookUrlSecret (an incoming webhook, one per channel) and botTokenSecret "
                "(a bot token, which posts to any channel it has joined)"
            )
        return self


class PagerDuty(Section):
    routing_key_secret: SecretKey = Field(description="Secret config key holding the Events v2 routing key.")


class Email(Section):
    to: str = Field(pattern=r"^[^@\s]+@[^@\s]+$", description="Recipient address.")
    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+$", alias="from", description="Sender address.")
    smarthost: str = Field(pattern=r"^[\w.-]+:\d+$", description="SMTP host:port.")
    username: str = Field(min_length=1, description="SMTP user.")
    password_secret: SecretKey = Field(description="Secret config key holding the SMTP password.")


class Webhook(Section):
    url: HttpUrl = Field(description="Endpoint, e.g. a dead man's switch. Not secret: Alertmanager 0.25 "
                                     "cannot read webhook URLs from files.")  # fmt: skip


class Receiver(Section):
    """One destination. At most one integration; none makes a receiver that delivers nowhere."""

    slack: Slack | None = None
    pagerduty: PagerDuty | None = None
    email: Email | None = None
    webhook: Webhook | None = None

    @model_validator(mode="after")
    def _one_integration(self) -> Receiver:
        given = [k for k in ("slack", "pagerduty", "email", "webhook") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"a receiver has one integration, got {', '.join(given)}: split it in two")
        return self


class Route(Section):
    """Where one category goes and how often it repeats."""

    receivers: list[str] = Field(min_length=1, description="Receivers, in delivery order.")

    @field_validator("receivers")
    @classmethod
    def _each_once(cls, receivers: list[str]) -> list[str]:
        twice = sorted({name for name in receivers if receivers.count(name) > 1})
        if twice:
            raise ValueError(
                f"lists {', '.join(twice)} more than once: each listing gets every notification again"
            )
        return receivers

    group_wait: PromDuration = Field(
        Duration.parse("40s"),
        description="Wait before the first notification of a group; with 2 Alertmanagers or more, at least a "
        "quarter of an evaluation interval away from a multiple of it, as 40s is from 15s, 30s and 1m.",
    )
    group_interval: PromDuration = Field(
        Duration.parse("5m"), description="Wait before notifying new alerts of a group."
    )
    repeat_interval: PromDuration = Field(
        Duration.parse("4h"), description="Wait before repeating a firing notification."
    )


class Routes(Section):
    """The seed's category table; each Vigie alert carries one of these as its `category` label."""

    urgent: Route = Field(description="P0: PagerDuty and #OPS-CRITICAL.")
    ml_degradation: Route = Field(description="Drift and drift-job health: #MLOps-Alerts.")
    resource: Route = Field(description="CPU: #OPS-ALERTS.")
    service_health: Route = Field(description="Service-health warnings (5xx, p95, model version).")
    business: Route = Field(description="Refusal rate: e-mail / weekly report.")
    watchdog: Route = Field(description="The always-firing Watchdog, to a dead man's switch.")
    default: Route = Field(description="Anything else (e.g. the chart's own Kubernetes alerts).")

    def by_category(self) -> dict[Category, Route]:
        return {category: getattr(self, category.value.replace("-", "_")) for category in Category}

    def by_key(self) -> dict[str, Route]:
        """Every route by its settings key (`mlDegradation`), the default one included."""
        return {spec.alias or field: getattr(self, field) for field, spec in type(self).model_fields.items()}


class Alerting(Section):
    """Alertmanager receivers and routes, and the links every alert carries."""

    runbook_base_url: HttpBaseUrl = Field(
        description="Where generated/<stack>/runbooks/ is published: each alert links to <base>/<AlertName>.md."
    )
    receivers: dict[str, Receiver] = Field(min_length=1, description="Destinations by name.")
    routes: Routes
    min_request_rate: float = Field(
        1.0,
        ge=0,
        description="Requests per second below which the error-ratio alerts stay silent (0: always judge).",
    )

    def business_emails(self) -> dict[str, Email]:
        """The e-mail receivers of the business route, by name, in route order: the weekly report's recipients."""
        chosen = (self.receivers.get(name) for name in self.routes.business.receivers)
        named = zip(self.routes.business.receivers, chosen, strict=True)
        return {name: receiver.email for name, receiver in named if receiver and receiver.email}


class AlertOverride(Section):
    """Tune one alert of the catalog without forking it."""

    enabled: bool = True
    threshold: float | PromDuration | None = Field(
        None, description="A ratio (0.05) for rates, a duration (500ms) for latencies."
    )
    for_: PromDuration | None = Field(None, alias="for")
    severity: Severity | None = None


# --- drift ----------------------------------------------------------------------------------------------------
class DriftAirflow(Section):
    """The drift DAG of a stack whose drift.scheduler is airflow: where it is shipped, how its drift task runs,
    and where its tasks reach Alertmanager and the Pushgateway."""

    mode: Literal["kubernetes", "local"] = Field(
        "kubernetes",
        description="How the drift task runs `vigie drift run`: a pod (KubernetesPodOperator) like the CronJob's, "
        "or `local`, a process of the Airflow worker (`vigie` on its PATH, in its working directory), for "
        "`dag.test()` on one machine.",
    )
    namespace: K8sName = Field(
        "airflow", description="Airflow's namespace: the DAG's ConfigMap goes there, for its DAG folder."
    )
    service_account: K8sName = Field(
        "airflow-worker",
        description="The ServiceAccount, in Airflow's namespace, that its workers run tasks as: bound to a Role in "
        "the scoring namespace that lets the drift task run its pod there (the official chart's default: "
        "airflow-worker, for a release named airflow).",
    )
    retry_delay: PromDuration = Field(Duration.parse("5m"), description="Wait before retrying a failed try.")
    alertmanager_url: HttpBaseUrl | None = Field(
        None,
        description="Where the alert task posts (Alertmanager's v2 API); default: the chart's in-cluster "
        "Alertmanager service.",
    )
    pushgateway_url: HttpBaseUrl | None = Field(
        None, description="Where the run and the failure callback push; default: the in-cluster Pushgateway."
    )


class Drift(Section):
    """The scheduled Evidently drift job. Its drift-share threshold is DataDriftDetected's (vigie:alerts)."""

    schedule: str = Field("0 3 * * 1", description="Cron schedule (Kubernetes CronJob syntax).")
    scheduler: Literal["cronjob", "airflow"] = Field(
        "cronjob",
        description="What runs the job on the schedule: a Kubernetes CronJob, or the generated Airflow DAG "
        "(generated/<stack>/airflow/), which also posts the verdict alerts to Alertmanager itself.",
    )
    airflow: DriftAirflow = Field(default_factory=DriftAirflow)
    window: PromDuration = Field(
        Duration.parse("7d"), description="Production window compared with the reference."
    )
    p_value: float = Field(
        0.05,
        gt=0,
        lt=1,
        description="A feature drifts when its p-value is below this (KS for numbers, chi-square for categories).",
    )
    important_features: PositiveInt = Field(
        10,
        description="The drift share is taken over the top N features by model importance (all are tested).",
    )
    min_rows: PositiveInt = Field(
        500,
        description="Fewest rows of the window a verdict is drawn from: a thinner window reports insufficient "
        "data (DriftDataInsufficient) rather than a 'no drift' that a handful of rows cannot support.",
    )
    sample_size: PositiveInt = Field(
        2000,
        description="Rows drawn at random from each side before the tests, so that negligible shifts on big windows "
        "do not flag (a value at least the window's row count tests every row). Measured with "
        "bench/drift_sample_size.py (KS, p<0.05, mean shifts in standard deviations): 2000 rows flag a 0.2 sd shift "
        "(Cohen's 'small' effect) 100 % of the time, 0.1 sd 79 %, a negligible 0.05 sd 25 %; 5000 rows flag 0.05 sd "
        "62 %; every row of a 1,000,000-row window against 200,000 flags even 0.02 sd 100 %.",
    )
    report_rows: PositiveInt = Field(
        5000,
        description="Most rows per side the Evidently HTML reports are drawn from; when sampleSize is at most "
        "this, the reports show exactly the rows and p-values the metrics come from.",
    )
    label_delay: PromDuration = Field(
        Duration.parse("90d"),
        description="How long after a prediction its true label (default or repayment) is known. Each run also "
        "judges the matured cohort, the window of the same length ending this long ago, whose labels have "
        "arrived; the threshold of its cost is vigie:alerts.ModelPerformanceDegraded.threshold.",
    )
    min_labelled_rows: PositiveInt = Field(
        1000,
        description="Fewest labelled rows of the matured cohort its business cost is judged on: a thinner cohort "
        "reports insufficient labels (its row count is pushed, ModelPerformanceDegraded stays quiet), since a "
        "few accepted defaulters, each costing costFalseNegative, would swing a small cohort's cost by more "
        "than the threshold.",
    )
    reports_uri: str = Field(
        "run/drift-reports",
        min_length=1,
        description="Where each run writes its reports, in <uri>/<stack>/<run>/: a folder (relative paths are "
        "under the project) or an fsspec URI such as s3://bucket/drift.",
    )

    @field_validator("reports_uri")
    @classmethod
    def _known_protocol(cls, uri: str) -> str:
        return _check_fsspec_uri(uri)

    @field_validator("airflow")
    @classmethod
    def _airflow_only_with_its_scheduler(cls, airflow: DriftAirflow, info: ValidationInfo) -> DriftAirflow:
        """Only checked when the stack sets vigie:drift.airflow: a CronJob stack has no DAG to configure."""
        scheduler = info.data.get("scheduler")
        if scheduler is not None and scheduler != "airflow":
            raise ValueError(
                f"set, but the scheduler is {scheduler}: set scheduler: airflow, or remove airflow"
            )
        return airflow


# --- report ---------------------------------------------------------------------------------------------------
class Report(Section):
    """The weekly business report, mailed to the business route's e-mail receivers by a CronJob."""

    schedule: str = Field(
        "0 7 * * 1",
        description="Cron schedule in UTC (Kubernetes CronJob syntax); each run reports on the last whole ISO "
        "week, so Monday morning suits it.",
    )

    @field_validator("schedule")
    @classmethod
    def _cron(cls, schedule: str) -> str:
        CronSchedule.parse(schedule).longest_gap_seconds()
        return schedule


# --- platform -------------------------------------------------------------------------------------------------
_CPU_RE = re.compile(r"^([1-9][0-9]*m|[0-9]+(\.[0-9]+)?)$")
_SIZE_RE = re.compile(r"^[1-9][0-9]*(Mi|Gi)$")
_IMAGE_RE = re.compile(
    r"^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+(:(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?P<digest>@sha256:[0-9a-f]{64})?$"
)
_IMMUTABLE_TAG_RE = re.compile(r"^(v?[0-9]+\.[0-9]+\.[0-9]+([._-][A-Za-z0-9._-]+)?|[0-9a-f]{7,40})$")
"""An exact release (0.1.0, v1.11.1, 2.60.0-py311) or a commit id: tags a registry is not expected to move (`2` or
`2.60` follow the newest release of their line)."""
_PINNED = "pin it by digest (…@sha256:<64 hex digits>) or by an immutable version tag (…:0.1.0)"
_VERSION_RE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+$")
_SIZE_UNITS = {"Mi": 2**20, "Gi": 2**30}
RAY_OBJECT_STORE_SHARE = 0.3
"""Ray's default share of a node's memory kept for its object store (DEFAULT_OBJECT_STORE_MEMORY_PROPORTION)."""


def cpu_cores(quantity: str) -> float:
    """A Kubernetes CPU quantity ("500m", "2", "1.5") in cores."""
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def size_bytes(quantity: str) -> int:
    """A size in Mi or Gi, in bytes."""
    return int(quantity[:-2]) * _SIZE_UNITS[quantity[-2:]]


def _check_cpu(text: str) -> str:
    if not _CPU_RE.match(text) or cpu_cores(text) <= 0:
        raise ValueError(f"{text!r} is not a CPU quantity above zero (examples: 500m, 1, 1.5)")
    return text


def _check_size(text: str) -> str:
    if not _SIZE_RE.match(text):
        raise ValueError(f"{text!r} is not a size in Mi or Gi (examples: 512Mi, 50Gi)")
    return text


def _check_image(text: str) -> str:
    """A reference that always pulls the same image: a digest, or a tag that names a release (not `latest`)."""
    match = _IMAGE_RE.match(text)
    if not match:
        raise ValueError(
            f"{text!r} is not an image reference (example: docker.io/prom/pushgateway:v1.11.1@sha256:<digest>)"
        )
    tag, digest = match.group("tag"), match.group("digest")
    if digest:
        return text
    if tag is None:
        raise ValueError(f"{text!r} names no tag or digest, so every pull may get another image; {_PINNED}")
    if not _IMMUTABLE_TAG_RE.match(tag):
        raise ValueError(f"{text!r}: `{tag}` is a moving tag, not an exact release; {_PINNED}")
    return text


def _check_version(text: str) -> str:
    if not _VERSION_RE.match(text):
        raise ValueError(f"{text!r} is not an exact chart version (example: 88.5.3)")
    return text


CpuQuantity = Annotated[str, AfterValidator(_check_cpu)]
Size = Annotated[str, AfterValidator(_check_size)]
ImageRef = Annotated[str, AfterValidator(_check_image)]
ChartVersion = Annotated[str, AfterValidator(_check_version)]


class Compute(Section):
    """A container's CPU and memory; requests equal limits, so the pod is Guaranteed and Ray sees its size."""

    cpu: CpuQuantity = Field(description="CPU cores, e.g. 500m, 1, 1.5.")
    memory: Size = Field(description="Memory in Mi or Gi, e.g. 512Mi, 4Gi.")


class ChartVersions(Section):
    """The exact Helm chart versions installed."""

    kube_prometheus_stack: ChartVersion = "88.5.3"
    kuberay_operator: ChartVersion = "1.7.0"


class ChartRepositories(Section):
    """Where the charts come from (helm repository URLs); point them at a mirror if the cluster needs one."""

    kube_prometheus_stack: HttpUrl = HttpUrl("https://prometheus-community.github.io/helm-charts")
    kuberay_operator: HttpUrl = HttpUrl("https://ray-project.github.io/kuberay-helm/")


class Images(Section):
    """Container images, each pinned by digest or by an immutable version tag (never `latest`)."""

    vigie: ImageRef = Field(
        "registry.scoring.internal/vigie:0.1.0",
        description="This project installed on rayproject/ray (the Ray of rayVersion): it holds the scoring app's "
        "import path and the `vigie drift run` command. Built by `make image`; once pushed, name it by the digest "
        "the registry gave it (…:0.1.0@sha256:…).",
    )
    pushgateway: ImageRef = "docker.io/prom/pushgateway:v1.11.1@sha256:03738d278e082ee9821df730c741b3b465c251fc2b68a85883def301a55a6215"


class PrometheusPlatform(Section):
    storage_class: K8sName | None = Field(
        None, description="StorageClass of the TSDB volume; none: the cluster's default."
    )
    storage_size: Size = Field("50Gi", description="TSDB volume size; keep above what the retention needs.")
    resources: Compute = Compute(cpu="1", memory="4Gi")


_HOST_RE = re.compile(r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")


def _check_host(text: str) -> str:
    if not _HOST_RE.match(text):
        raise ValueError(f"{text!r} is not a DNS host name (example: api.scoring.internal)")
    return text


class ScoringIngress(Section):
    """The way in for callers of the scoring API: an Ingress of `className`, served by the controller whose pods
    (`podLabels` in `namespace`) are the only callers the scoring pods' network policy admits besides Prometheus."""

    class_name: K8sName = Field("nginx", description="The IngressClass (ingress-nginx's is nginx).")
    host: Annotated[str, AfterValidator(_check_host)] | None = Field(
        None, description="The API's host name; none: no Ingress (callers come through another route)."
    )
    tls_secret: K8sName = Field(
        "vigie-scoring-tls",
        description="A TLS Secret (tls.crt, tls.key) in the scoring namespace for `host`, made by cert-manager or "
        "by hand; referenced, never read.",
    )
    namespace: K8sName = Field("ingress-nginx", description="Namespace of the ingress controller's pods.")
    pod_labels: dict[str, str] = Field(
        default_factory=lambda: {"app.kubernetes.io/name": "ingress-nginx"},
        min_length=1,
        description="Labels of the ingress controller's pods.",
    )


class ScoringPlatform(Section):
    """The RayService's pods. Each worker pod hosts one Serve replica; the head hosts none."""

    head: Compute = Compute(cpu="1", memory="4Gi")
    worker: Compute = Compute(cpu="1", memory="2Gi")
    autoscaler: Compute = Field(
        Compute(cpu="500m", memory="512Mi"), description="The Ray autoscaler sidecar."
    )
    idle_timeout: PromDuration = Field(
        Duration.parse("1m"), description="A worker pod idle this long is removed."
    )
    ingress: ScoringIngress = Field(default_factory=ScoringIngress)


class PushgatewayPlatform(Section):
    """The Pushgateway keeps the drift job's last results on a volume, so a restart does not lose a week's run."""

    resources: Compute = Compute(cpu="100m", memory="128Mi")
    storage_class: K8sName | None = Field(None, description="StorageClass of its volume; none: the default.")
    storage_size: Size = Field("1Gi", description="Volume size.")


class DriftJobPlatform(Section):
    """The drift CronJob's pods (its schedule and analysis settings are vigie:drift)."""

    resources: Compute = Compute(cpu="1", memory="4Gi")
    backoff_limit: int = Field(2, ge=0, le=10, description="Retries of a failed run before the Job fails.")
    active_deadline: PromDuration = Field(
        Duration.parse("2h"), description="A run still going after this is killed."
    )
    history_limit: int = Field(3, ge=1, le=20, description="Finished Jobs kept, successful and failed each.")

    @property
    def try_timeout_seconds(self) -> int:
        """Each try's share of activeDeadline, whole seconds: the drift DAG times out its 1 + backoffLimit tries
        one by one (Airflow has no deadline over a task's retries, as a Job has over its pods')."""
        return int(self.active_deadline.seconds) // (self.backoff_limit + 1)


class DataVolume(Section):
    """The ReadWriteMany volume holding the relative URIs (model, prediction log, drift reports) in the cluster."""

    storage_class: K8sName | None = Field(
        None,
        description="A ReadWriteMany StorageClass (NFS, EFS, CephFS…); required when a URI is relative, since a "
        "cluster's default class is often ReadWriteOnce only and the claim would never bind.",
    )
    size: Size = Field("20Gi", description="Volume size.")


class ObjectStorage(Section):
    """S3 (or an S3-compatible store) for the model artifact, the prediction log and the drift reports. The
    credentials are Pulumi secrets: the program writes them only to the stack's Secret, which the pods mount as a
    shared-credentials file."""

    endpoint_url: HttpUrl | None = Field(
        None, description="An S3-compatible endpoint (MinIO, Ceph RGW…); none: AWS's own for the region."
    )
    region: str | None = Field(
        None, pattern=r"^[a-z0-9-]+$", description="The bucket's region, e.g. eu-west-3."
    )
    access_key_id_secret: SecretKey = Field(description="Secret config key holding the access key id.")
    secret_access_key_secret: SecretKey = Field(
        description="Secret config key holding the secret access key."
    )

    def secret_keys(self) -> tuple[str, str]:
        return (self.access_key_id_secret, self.secret_access_key_secret)


class Platform(Section):
    """What the Pulumi program deploys and how big: pinned charts and images, sizes, placement."""

    chart_versions: ChartVersions = Field(default_factory=ChartVersions)
    chart_repositories: ChartRepositories = Field(default_factory=ChartRepositories)
    images: Images = Field(default_factory=Images)
    ray_version: ChartVersion = Field("2.60.0", description="The Ray version inside the vigie image.")
    kuberay_namespace: K8sName = Field("kuberay", description="Namespace of the KubeRay operator.")
    prometheus: PrometheusPlatform = Field(default_factory=PrometheusPlatform)
    alertmanager: Compute = Compute(cpu="100m", memory="256Mi")
    grafana: Compute = Compute(cpu="250m", memory="512Mi")
    kuberay_operator: Compute = Compute(cpu="100m", memory="512Mi")
    pushgateway: PushgatewayPlatform = Field(default_factory=PushgatewayPlatform)
    scoring: ScoringPlatform = Field(default_factory=ScoringPlatform)
    drift_job: DriftJobPlatform = Field(default_factory=DriftJobPlatform)
    report_job: Compute = Field(
        Compute(cpu="250m", memory="512Mi"), description="The weekly business report CronJob's pod."
    )
    data_volume: DataVolume = Field(default_factory=DataVolume)
    object_storage: ObjectStorage | None = Field(
        None,
        description="How the scoring pods, the drift job and `vigie model publish` reach s3:// URIs; required "
        "when a URI is on s3.",
    )


class StackSettings(Section):
    """Everything Vigie needs to know about one stack (one environment)."""

    serving: Serving = Field(default_factory=Serving)
    model: Model
    monitoring: Monitoring
    alerting: Alerting
    alerts: dict[str, AlertOverride] = Field(default_factory=dict)
    drift: Drift = Field(default_factory=Drift)
    report: Report = Field(default_factory=Report)
    platform: Platform = Field(default_factory=Platform, validate_default=True)

    @field_validator("report")
    @classmethod
    def _report_has_recipients(cls, report: Report, info: ValidationInfo) -> Report:
        """Only checked when the stack sets vigie:report: a stack without business e-mail has no report."""
        alerting = info.data.get("alerting")
        if alerting is not None and not alerting.business_emails():
            raise ValueError(
                "the business route (vigie:alerting.routes.business) has no e-mail receiver to send the weekly "
                "report to; add one or remove vigie:report"
            )
        return report

    @field_validator("platform")
    @classmethod
    def _worker_holds_a_replica(cls, platform: Platform, info: ValidationInfo) -> Platform:
        serving = info.data.get("serving")
        if serving is None:
            return platform
        worker, replica = platform.scoring.worker, serving.resources
        if cpu_cores(worker.cpu) < replica.cpus:
            raise ValueError(
                f"scoring.worker.cpu ({worker.cpu}) must be at least vigie:serving.resources.cpus ({replica.cpus:g}): "
                "each worker pod hosts one Serve replica"
            )
        usable = size_bytes(worker.memory) * (1 - RAY_OBJECT_STORE_SHARE)
        if usable < size_bytes(replica.memory):
            raise ValueError(
                f"scoring.worker.memory ({worker.memory}) leaves {usable / 2**20:.0f}Mi to Ray tasks after its "
                f"object store ({RAY_OBJECT_STORE_SHARE:.0%}), less than vigie:serving.resources.memory "
                f"({replica.memory}); raise it"
            )
        return platform

    @field_validator("platform")
    @classmethod
    def _namespaces_differ(cls, platform: Platform, info: ValidationInfo) -> Platform:
        serving, monitoring = info.data.get("serving"), info.data.get("monitoring")
        if serving is None or monitoring is None:
            return platform
        if serving.namespace == monitoring.namespace:
            raise ValueError(
                f"vigie:serving.namespace and vigie:monitoring.namespace are both {serving.namespace!r}: the scoring "
                "namespace enforces the restricted Pod Security level, which the monitoring stack cannot meet"
            )
        if platform.kuberay_namespace in (serving.namespace, monitoring.namespace):
            raise ValueError(
                f"kuberayNamespace ({platform.kuberay_namespace}) must differ from vigie:serving.namespace and "
                "vigie:monitoring.namespace"
            )
        return platform

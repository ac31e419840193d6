"""The settings of one stack: what `Pulumi.<stack>.yaml` may say under the `vigie:` namespace.

Each top-level field is one `vigie:<key>` config entry. YAML keys are camelCase; unknown keys are rejected.
Secrets are never values here: a receiver names the secret config key that holds its credential.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator
from pydantic.alias_generators import to_camel

from infra.settings.types import K8sName, PositiveInt, PromDuration, SecretKey
from rules_src.alert import Category, Severity


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=False)


# --- serving --------------------------------------------------------------------------------------------------
class Autoscaling(Section):
    """Ray Serve's autoscaling_config for the scoring deployment."""

    min_replicas: int = Field(1, ge=1, description="Replicas kept running when idle.")
    max_replicas: PositiveInt = Field(4, description="Upper bound on replicas.")
    target_ongoing_requests: float = Field(8, gt=0, description="Ongoing requests per replica to aim for.")
    upscale_delay: PromDuration = Field("30s", description="How long load must stay high before adding.")
    downscale_delay: PromDuration = Field("10m", description="How long load must stay low before removing.")

    @model_validator(mode="after")
    def _min_below_max(self) -> Autoscaling:
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"minReplicas ({self.min_replicas}) must be at most maxReplicas ({self.max_replicas})"
            )
        return self


class Serving(Section):
    """The Ray Serve scoring service."""

    namespace: K8sName = Field("scoring", description="Kubernetes namespace of the RayService.")
    application: str = Field("scoring", min_length=1, description="Serve application name (metric label).")
    max_ongoing_requests: PositiveInt = Field(64, description="Per-replica cap; high enough for batches.")
    autoscaling: Autoscaling = Field(default_factory=Autoscaling)


class Model(Section):
    """The credit-scoring model the stack serves."""

    version: str = Field(min_length=1, description="The model version this stack declares; others alert.")
    cost_false_negative: float = Field(10.0, gt=0, description="Business cost of accepting a defaulter.")
    cost_false_positive: float = Field(1.0, gt=0, description="Business cost of refusing a good applicant.")


# --- monitoring -----------------------------------------------------------------------------------------------
class Monitoring(Section):
    """kube-prometheus-stack: where it runs and how it samples."""

    namespace: K8sName = Field("monitoring", description="Namespace of Prometheus, Alertmanager, Grafana.")
    grafana_url: HttpUrl = Field(description="External Grafana URL, for dashboard links in alerts.")
    scrape_interval: PromDuration = Field("30s", description="Prometheus scrape interval.")
    evaluation_interval: PromDuration = Field("30s", description="Rule evaluation interval.")
    retention: PromDuration = Field("15d", description="Prometheus TSDB retention.")


# --- alerting -------------------------------------------------------------------------------------------------
class Slack(Section):
    channel: str = Field(pattern=r"^[#@][\w.-]+$", description="Channel, e.g. #OPS-CRITICAL.")
    webhook_url_secret: SecretKey = Field(description="Secret config key holding the incoming-webhook URL.")


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
    group_wait: PromDuration = Field("30s", description="Wait before the first notification of a group.")
    group_interval: PromDuration = Field("5m", description="Wait before notifying new alerts of a group.")
    repeat_interval: PromDuration = Field("4h", description="Wait before repeating a firing notification.")


class Routes(Section):
    """The seed's category table; each Vigie alert carries one of these as its `category` label."""

    urgent: Route = Field(description="P0: PagerDuty and #OPS-CRITICAL.")
    ml_degradation: Route = Field(description="Drift and drift-job health: #MLOps-Alerts.")
    resource: Route = Field(description="CPU: #OPS-ALERTS.")
    service: Route = Field(description="Service warnings (5xx, p95, model version).")
    business: Route = Field(description="Refusal rate: e-mail / weekly report.")
    watchdog: Route = Field(description="The always-firing Watchdog, to a dead man's switch.")
    default: Route = Field(description="Anything else (e.g. the chart's own Kubernetes alerts).")

    def by_category(self) -> dict[Category, Route]:
        return {category: getattr(self, category.value.replace("-", "_")) for category in Category}


class Alerting(Section):
    """Alertmanager receivers and routes, and the links every alert carries."""

    runbook_base_url: HttpUrl = Field(description="Each alert links to <base>/<AlertName>.")
    receivers: dict[str, Receiver] = Field(min_length=1, description="Destinations by name.")
    routes: Routes


class AlertOverride(Section):
    """Tune one alert of the catalog without forking it."""

    enabled: bool = True
    threshold: float | PromDuration | None = Field(
        None, description="A ratio (0.05) for rates, a duration (500ms) for latencies."
    )
    for_: PromDuration | None = Field(None, alias="for")
    severity: Severity | None = None


# --- drift ----------------------------------------------------------------------------------------------------
class Drift(Section):
    """The scheduled Evidently drift job."""

    schedule: str = Field("0 3 * * 1", description="Cron schedule (Kubernetes CronJob syntax).")
    window: PromDuration = Field("7d", description="Production window compared with the reference.")
    p_value: float = Field(
        0.05, gt=0, lt=1, description="A feature drifts when its KS p-value is below this."
    )
    important_features: PositiveInt = Field(10, description="Top-N features by model importance to test.")
    sample_size: PositiveInt = Field(
        5000,
        description="Rows sampled from each side before KS tests, so tiny shifts on huge windows don't flag.",
    )


class StackSettings(Section):
    """Everything Vigie needs to know about one stack (one environment)."""

    serving: Serving = Field(default_factory=Serving)
    model: Model
    monitoring: Monitoring
    alerting: Alerting
    alerts: dict[str, AlertOverride] = Field(default_factory=dict)
    drift: Drift = Field(default_factory=Drift)

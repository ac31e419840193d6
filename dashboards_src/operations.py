"""The operations dashboard: the state of the scoring service at a glance (seed §2.B)."""

from __future__ import annotations

from typing import Any

from conventions import contract as c
from conventions.routing import Category
from dashboards_src import frame, style
from dashboards_src import layout as grid
from dashboards_src.queries import operations as q
from dashboards_src.queries import prometheus as prom
from dashboards_src.queries.recorded import recorded, recorded_max
from dashboards_src.style import Query
from dashboards_src.thresholds import PERCENT, Line, alert_lines, runbook_links
from rules_src.alerts import cpu, error_rate, latency, prediction_log
from rules_src.stack import Alerts, Stack

SCORING_LATENCY = (Line(latency.LATENCY_P95), Line(latency.LATENCY_P99))
LATENCY = (*SCORING_LATENCY, Line(latency.BATCH_LATENCY_P99))
ERRORS = (Line(error_rate.HTTP_5XX), Line(error_rate.API_ERROR_RATE))
CLIENT_ERRORS = (Line(error_rate.CLIENT_ERRORS),)
CPU = (Line(cpu.CPU_USAGE, PERCENT),)
LOG_GAP = (Line(prediction_log.PREDICTION_LOG_GAP),)


def _watched_alerts(alerts: Alerts) -> list[str]:
    """The stack's enabled alerts, without the always-firing Watchdog."""
    return [a.name for a in alerts.enabled if a.spec.category is not Category.WATCHDOG]


def request_rate_now() -> Any:
    """How much traffic the service takes right now."""
    return style.stat(
        "Request rate", "Requests per second over the last minute.", [Query(q.request_rate())], unit="reqps"
    )


def p95_latency_now(alerts: Alerts) -> Any:
    """The latency users feel, coloured at the stack's p95 and p99 alert thresholds."""
    return style.stat(
        "p95 latency",
        f"p95 latency of {c.SCORING_ROUTE} at Serve's proxy over the last minute.",
        [Query(recorded_max(c.LATENCY_P95))],
        unit="s",
        colors=alert_lines(alerts, *SCORING_LATENCY),
        links=runbook_links(alerts, *SCORING_LATENCY),
    )


def error_rate_now(alerts: Alerts) -> Any:
    """The 5xx share, coloured at the stack's 5xx and API error alert thresholds."""
    return style.stat(
        "5xx rate",
        "Share of requests answered 5xx over the last minute.",
        [Query(recorded_max(c.ERROR_RATE_5XX))],
        unit="percentunit",
        decimals=2,
        colors=alert_lines(alerts, *ERRORS),
        links=runbook_links(alerts, *ERRORS),
    )


def cpu_now(alerts: Alerts) -> Any:
    """Mean CPU of the scoring cluster, coloured at the CPU alert threshold."""
    return style.stat(
        "CPU",
        "Mean CPU utilisation of the scoring cluster's nodes.",
        [Query(q.cpu_usage_now())],
        unit="percent",
        colors=alert_lines(alerts, *CPU),
        links=runbook_links(alerts, *CPU),
    )


def replicas_now() -> Any:
    """How many replicas serve right now."""
    return style.stat(
        "Running replicas",
        "Healthy Serve replicas of the application.",
        [Query(q.running_replicas())],
        unit="short",
    )


def firing_alerts_now(alerts: Alerts) -> Any:
    """Whether anything needs attention: red as soon as one of the stack's alerts fires."""
    return style.stat(
        "Firing alerts",
        "The stack's alerts firing now (the Watchdog excluded).",
        [Query(q.firing_alert_count(_watched_alerts(alerts)))],
        unit="short",
        instant=True,
        colors=style.steps(style.GREEN, [(1, style.RED)]),
    )


def request_rate_by_route() -> Any:
    """Traffic split by route and status code, to see which route fails or surges."""
    return style.timeseries(
        "Request rate by route and status",
        "Requests per second at Serve's proxy.",
        [Query(q.request_rate_by_route_status(), style.legend(c.ROUTE, c.STATUS_CODE))],
        unit="reqps",
    )


def error_rates(alerts: Alerts) -> Any:
    """The 5xx share against the thresholds of the 5xx warning and the P0."""
    return style.timeseries(
        "Server error rate",
        "Share of requests answered 5xx over 1 minute; dashed: alert thresholds.",
        [Query(recorded(c.ERROR_RATE_5XX), "5xx")],
        unit="percentunit",
        lines=alert_lines(alerts, *ERRORS),
        links=runbook_links(alerts, *ERRORS),
    )


def client_error_rate(alerts: Alerts) -> Any:
    """The 4xx share against the client-error warning: bad payloads warn, they never page."""
    return style.timeseries(
        "Client error rate",
        "Share of requests answered 4xx over 1 minute (bad payloads); dashed: the warning's threshold.",
        [Query(recorded(c.CLIENT_ERROR_RATE), "4xx")],
        unit="percentunit",
        lines=alert_lines(alerts, *CLIENT_ERRORS),
        links=runbook_links(alerts, *CLIENT_ERRORS),
    )


def latency_quantiles(alerts: Alerts) -> Any:
    """p50, p95 and p99 latency of the scoring route, and p99 of the batch route, against their thresholds."""
    quantiles = ((c.LATENCY_P50, "p50"), (c.LATENCY_P95, "p95"), (c.LATENCY_P99, "p99"),
                 (c.BATCH_LATENCY_P99, "p99 batch"))  # fmt: skip
    return style.timeseries(
        "Latency",
        f"Latency quantiles of {c.SCORING_ROUTE} and, as 'p99 batch', of {c.BATCH_ROUTE}, at Serve's proxy "
        "over 1 minute; dashed: alert thresholds.",
        [Query(recorded(rec), name) for rec, name in quantiles],
        unit="s",
        lines=alert_lines(alerts, *LATENCY),
        links=runbook_links(alerts, *LATENCY),
    )


def cpu_usage(alerts: Alerts) -> Any:
    """CPU against the line above which Serve's policy adds replicas and, held for the `for`, the alert fires."""
    return style.timeseries(
        "CPU usage",
        "Mean CPU utilisation of the scoring cluster's worker nodes; dashed: CpuUsageHigh's threshold, also the "
        "mean replica CPU above which the autoscaling policy adds replicas.",
        [Query(q.cpu_usage(), style.legend(c.NAMESPACE))],
        unit="percent",
        max_value=100,
        lines=alert_lines(alerts, *CPU),
        links=runbook_links(alerts, *CPU),
    )


def replicas(max_replicas: int) -> Any:
    """Running replicas against what the autoscaler targets and wants, up to the configured maximum."""
    return style.timeseries(
        "Replicas",
        "Running (healthy) replicas, the autoscaler's target and its policy's desired count; "
        "dashed: maxReplicas.",
        [
            Query(q.per_deployment(c.REPLICAS_HEALTHY), f"running {style.legend(c.DEPLOYMENT)}"),
            Query(q.per_deployment(c.AUTOSCALING_TARGET_REPLICAS), f"target {style.legend(c.DEPLOYMENT)}"),
            Query(q.per_deployment(c.AUTOSCALING_DESIRED_REPLICAS), f"desired {style.legend(c.DEPLOYMENT)}"),
        ],
        unit="short",
        lines=style.steps(style.GREEN, [(max_replicas, style.RED)]),
        overrides=[style.by_regexp("^(target|desired) .*", style.DASHED)],
    )


def ongoing_requests() -> Any:
    """Load per replica against the autoscaling target: above it, the autoscaler adds replicas."""
    return style.timeseries(
        "Ongoing requests per replica",
        "Ongoing requests the autoscaler sees per running replica, and its target.",
        [
            Query(q.ongoing_per_replica(), f"ongoing {style.legend(c.DEPLOYMENT)}"),
            Query(q.ongoing_target(), f"target {style.legend(c.DEPLOYMENT)}"),
        ],
        unit="short",
        overrides=[style.by_regexp("^target .*", style.DASHED)],
    )


def model_version(declared: str) -> Any:
    """Which model versions are served, the declared one in green and any other in orange."""
    return style.state_timeline(
        "Model version served",
        f"Replicas serving each model version; this stack declares {declared}.",
        [Query(q.replicas_by_model_version(), style.legend(c.MODEL_VERSION))],
        color=style.ORANGE,
        overrides=[style.by_name(declared, {"color": {"fixedColor": style.GREEN, "mode": "fixed"}})],
    )


def firing_alerts(alerts: Alerts) -> Any:
    """Which of the stack's alerts fire now, with their labels (severity, category, …)."""
    hidden = {"Time": True, "Value": True, prom.METRIC_NAME: True, prom.ALERTSTATE: True}
    return style.table(
        "Firing alerts",
        "The stack's alerts firing now, from Prometheus's ALERTS series (the Watchdog excluded).",
        [Query(q.firing_alerts(_watched_alerts(alerts)))],
        transformations=[{"id": "organize", "options": {"excludeByName": hidden}}],
        sort_by=prom.ALERTNAME,
        descending=False,
    )


def prediction_log_gap(alerts: Alerts) -> Any:
    """Scored applications against the records the log wrote: what the drift job will not see."""
    return style.timeseries(
        "Prediction log gap",
        "Share of the applications scored (accepted + rejected) over 30 minutes that the prediction log has "
        "not written as Parquet (lag of at most flushInterval, drops, losses); dashed: the warning's "
        "threshold.",
        [Query(recorded(c.PREDICTION_LOG_GAP), "missing from the log")],
        unit="percentunit",
        lines=alert_lines(alerts, *LOG_GAP),
        links=runbook_links(alerts, *LOG_GAP),
    )


def dashboard(stack: Stack) -> Any:
    """The operations view: a glance row, then traffic, latency and CPU, autoscaling, version and alerts."""
    return frame.dashboard(
        stack.settings.alerting.runbook_base_url,
        frame.OPERATIONS,
        frame.scoring_variables(stack.alerts.scope),
        [
            grid.Section(
                "At a glance",
                [
                    grid.stat(request_rate_now()),
                    grid.stat(p95_latency_now(stack.alerts)),
                    grid.stat(error_rate_now(stack.alerts)),
                    grid.stat(cpu_now(stack.alerts)),
                    grid.stat(replicas_now()),
                    grid.stat(firing_alerts_now(stack.alerts)),
                ],
            ),
            grid.Section(
                "Traffic and errors",
                [
                    grid.half(request_rate_by_route()),
                    grid.half(error_rates(stack.alerts)),
                    grid.half(client_error_rate(stack.alerts)),
                    grid.half(prediction_log_gap(stack.alerts)),
                ],
            ),
            grid.Section(
                "Latency and CPU",
                [grid.half(latency_quantiles(stack.alerts)), grid.half(cpu_usage(stack.alerts))],
            ),
            grid.Section(
                "Autoscaling",
                [
                    grid.half(replicas(stack.settings.serving.autoscaling.max_replicas)),
                    grid.half(ongoing_requests()),
                ],
            ),
            grid.Section(
                "Model version and alerts",
                [
                    grid.half(model_version(stack.settings.model.version)),
                    grid.half(firing_alerts(stack.alerts)),
                ],
            ),
        ],
    )

"""Bad stack settings: one line naming the key path and the rule, exit status 2, nothing written."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from rules_src.alerts import BY_NAME
from tests.conftest import CliRunner
from tests.infra.stack_edits import edit_stack

CANARY = "https://hooks.slack.com/services/T000/B000/CANARY-SECRET"
PINNED = "pin it by digest (…@sha256:<64 hex digits>) or by an immutable version tag (…:0.1.0)"

# (case, config key, dotted path inside it, new value or ... to delete, expected message after "Pulumi.prod.yaml: ")
EDITS: list[tuple[str, str, str, Any, str]] = [
    ("unknown key", "vigie:monitorng", "", {"retention": "3d"},
     "vigie:monitorng: unknown key (known keys: alerting, alerts, drift, model, monitoring, platform, report, serving)"),
    ("unknown nested key", "vigie:serving", "autoscaling.maxReplica", 3,
     "vigie:serving.autoscaling.maxReplica: unknown key (known keys here: downscaleDelay, lookBackPeriod, "
     "maxReplicas, minReplicas, targetOngoingRequests, upscaleDelay)"),
    ("rate below 0", "vigie:alerts", "Http5xxRateHigh.threshold", -0.01,
     "vigie:alerts.Http5xxRateHigh.threshold: must be a ratio strictly between 0 and 1 (0.05 means 5 %), got -0.01"),
    ("rate above 100 %", "vigie:alerts", "ApiErrorRateCritical.threshold", 5,
     "vigie:alerts.ApiErrorRateCritical.threshold: must be a ratio strictly between 0 and 1 (0.05 means 5 %), "
     "got 5.0"),
    ("p95 not below p99", "vigie:alerts", "LatencyP95High.threshold", "1s",
     "vigie:alerts.LatencyP95High.threshold: LatencyP95High's threshold (1s) must be below "
     "LatencyP99Critical's (1s)"),
    ("5xx warning not below P0", "vigie:alerts", "Http5xxRateHigh.threshold", 0.05,
     "vigie:alerts.Http5xxRateHigh.threshold: Http5xxRateHigh's threshold (5%) must be below "
     "ApiErrorRateCritical's (5%)"),
    ("DriftJobFailed's for shorter than the job's deadline", "vigie:alerts", "DriftJobFailed.for", "30m",
     "vigie:alerts.DriftJobFailed.for: DriftJobFailed's for (30m) must be at least the drift job's "
     "activeDeadline (2h), or a failed try that a retry mends pages anyway"),
    ("negative minimum request rate", "vigie:alerting", "minRequestRate", -1,
     "vigie:alerting.minRequestRate: input should be greater than or equal to 0 (got -1)"),
    ("malformed for", "vigie:alerts", "CpuUsageHigh.for", "10 minutes",
     "vigie:alerts.CpuUsageHigh.for: '10 minutes' is not a Prometheus duration (examples: 30s, 5m, 1h30m, 7d)"),
    ("malformed duration setting", "vigie:monitoring", "retention", "2 weeks",
     "vigie:monitoring.retention: '2 weeks' is not a Prometheus duration (examples: 30s, 5m, 1h30m, 7d)"),
    ("override of an unknown alert", "vigie:alerts", "LatencyP90High.threshold", "1s",
     f"vigie:alerts.LatencyP90High: no such alert (known alerts: {', '.join(sorted(BY_NAME))})"),
    ("secret given in clear", "vigie:slackOpsAlertsWebhookUrl", "", CANARY,
     "vigie:slackOpsAlertsWebhookUrl: must be a secret but is given in clear; remove it and run "
     "`pulumi config set --secret slackOpsAlertsWebhookUrl <value>`"),
    ("two channels on one Slack webhook", "vigie:alerting", "receivers.slack-ops-alerts.slack.webhookUrlSecret",
     "slackOpsCriticalWebhookUrl",
     "vigie:alerting.receivers.slack-ops-alerts.slack.webhookUrlSecret: slack-ops-critical (#OPS-CRITICAL) and "
     "slack-ops-alerts (#OPS-ALERTS) both read slackOpsCriticalWebhookUrl, but an incoming webhook posts only to "
     "the channel it was created for; give each channel its own webhook secret, or use botTokenSecret"),
    ("a Slack webhook and a bot token", "vigie:alerting", "receivers.slack-ops-alerts.slack.botTokenSecret",
     "slackBotToken",
     "vigie:alerting.receivers.slack-ops-alerts.slack: give exactly one of webhookUrlSecret (an incoming webhook, "
     "one per channel) and botTokenSecret (a bot token, which posts to any channel it has joined)"),
    ("neither a Slack webhook nor a bot token", "vigie:alerting",
     "receivers.slack-ops-alerts.slack.webhookUrlSecret", ...,
     "vigie:alerting.receivers.slack-ops-alerts.slack: give exactly one of webhookUrlSecret (an incoming webhook, "
     "one per channel) and botTokenSecret (a bot token, which posts to any channel it has joined)"),
    ("secret value where a key is named", "vigie:alerting", "receivers.slack-ops-alerts.slack.webhookUrlSecret",
     CANARY,
     "vigie:alerting.receivers.slack-ops-alerts.slack.webhookUrlSecret: must name a Pulumi secret config key "
     "(letters and digits, e.g. slackWebhookUrl), not hold a value; set the value with "
     "`pulumi config set --secret <key>`"),
    ("min replicas above max", "vigie:serving", "autoscaling.minReplicas", 9,
     "vigie:serving.autoscaling: minReplicas (9) must be at most maxReplicas (8)"),
    ("look-back window within one report", "vigie:serving", "autoscaling.lookBackPeriod", "10s",
     "vigie:serving.autoscaling.lookBackPeriod: must be longer than 10s, the interval at which replicas report "
     "their figures to Serve's controller (got 10s)"),
    ("latency threshold off the buckets", "vigie:alerts", "LatencyP95High.threshold", "600ms",
     "vigie:alerts.LatencyP95High.threshold: 600ms is not a latency bucket boundary, so the quantile would be "
     "inexact; choose one of 1ms, 2ms, 5ms, 10ms, 20ms, 50ms, 100ms, 200ms, 300ms, 400ms, 500ms, 1s, 2s, 5s, "
     "10s, 1m, 2m, 5m"),
    ("route to an undefined receiver", "vigie:alerting", "routes.urgent.receivers",
     ["pagerduty-p0", "slack-ops-critcal"],
     "vigie:alerting.routes.urgent.receivers[1]: no receiver named 'slack-ops-critcal' (defined: email-business, "
     "pagerduty-p0, slack-mlops-alerts, slack-ops-alerts, slack-ops-critical, watchdog)"),
    ("default route to an undefined receiver", "vigie:alerting", "routes.default.receivers", ["slack-ops-alrts"],
     "vigie:alerting.routes.default.receivers[0]: no receiver named 'slack-ops-alrts' (defined: email-business, "
     "pagerduty-p0, slack-mlops-alerts, slack-ops-alerts, slack-ops-critical, watchdog)"),
    ("malformed cron", "vigie:drift", "schedule", "0 3 * *",
     "vigie:drift.schedule: '0 3 * *' is not a cron schedule: expected 5 fields (e.g. '0 3 * * 1') or a macro"),
    ("schedule longer than staleness", "vigie:drift", "schedule", "0 3 1 * *",
     "vigie:drift.schedule: DriftJobStale's threshold (8d) must exceed the schedule's longest gap between runs "
     "(31d), or the job looks stale between two healthy runs; raise vigie:alerts.DriftJobStale.threshold"),
    ("unknown drift scheduler", "vigie:drift", "scheduler", "cron",
     "vigie:drift.scheduler: input should be 'cronjob' or 'airflow' (got 'cron')"),
    ("unknown drift DAG mode", "vigie:drift", "airflow.mode", "pod",
     "vigie:drift.airflow.mode: input should be 'kubernetes' or 'local' (got 'pod')"),
    ("Airflow retries outlasting DriftJobFailed's for (prod runs on Airflow)", "vigie:drift", "airflow.retryDelay",
     "1h",
     "vigie:drift.airflow.retryDelay: on Airflow a failed try shows until a later try ends, so "
     "platform.driftJob.backoffLimit * (drift.airflow.retryDelay + platform.driftJob.activeDeadline / "
     "(1 + backoffLimit)) = 2 * (1h + 40m) = 3h20m must stay below DriftJobFailed's for (2h), or a run that a "
     "retry mends pages anyway; shorten the retries or raise vigie:alerts.DriftJobFailed.for"),
    ("malformed report cron", "vigie:report", "schedule", "0 7 * * monday",
     "vigie:report.schedule: day of week 'monday' must be *, a number, a name (sun-sat) or a range, with an "
     "optional /step"),
    ("required key missing", "vigie:model", "version", ...,
     "vigie:model.version: required key is missing"),
    ("threshold on an alert without one", "vigie:alerts", "Watchdog.threshold", 1,
     "vigie:alerts.Watchdog.threshold: Watchdog has no threshold to override"),
    ("unknown severity", "vigie:alerts", "CpuUsageHigh.severity", "page",
     "vigie:alerts.CpuUsageHigh.severity: input should be 'critical', 'warning', 'info' or 'none' (got 'page')"),
    ("group wait on an evaluation, with two Alertmanagers", "vigie:alerting", "routes.mlDegradation.groupWait", "30s",
     "vigie:alerting.routes.mlDegradation.groupWait: 30s puts the route's flushes within a quarter of "
     "vigie:monitoring.evaluationInterval (15s) of an evaluation, where 2 Alertmanagers can notify a resolved "
     "alert firing again; use 37s500ms, midway between two evaluations"),
    ("group interval off the evaluations, with two Alertmanagers", "vigie:alerting", "routes.urgent.groupInterval",
     "50s",
     "vigie:alerting.routes.urgent.groupInterval: 50s is not a multiple of vigie:monitoring.evaluationInterval "
     "(15s): its flushes would drift onto the evaluations, where 2 Alertmanagers can notify a resolved alert firing "
     "again"),
    ("the default route's group wait on an evaluation", "vigie:alerting", "routes.default.groupWait", "45s",
     "vigie:alerting.routes.default.groupWait: 45s puts the route's flushes within a quarter of "
     "vigie:monitoring.evaluationInterval (15s) of an evaluation, where 2 Alertmanagers can notify a resolved "
     "alert firing again; use 52s500ms, midway between two evaluations"),
    ("receiver twice in a route", "vigie:alerting", "routes.urgent.receivers",
     ["pagerduty-p0", "slack-ops-critical", "pagerduty-p0"],
     "vigie:alerting.routes.urgent.receivers: lists pagerduty-p0 more than once: each listing gets every "
     "notification again"),
    ("relative URI without a ReadWriteMany class", "vigie:model", "artifactUri", "run/model",
     "vigie:platform.dataVolume.storageClass: required, since vigie:model.artifactUri is relative (run/model): "
     "relative URIs live on a ReadWriteMany volume shared by the scoring pods and the drift job, and a cluster's "
     "default class is often ReadWriteOnce only, so the claim would never bind; name an RWX class (NFS, EFS, "
     "CephFS…) or use object-storage URIs (s3://…)"),
    ("s3 URI without object-storage credentials", "vigie:platform", "objectStorage", ...,
     "vigie:platform.objectStorage: required, since vigie:model.artifactUri is on s3 "
     "(s3://vigie-prod/models/credit-lgbm-2026.11.0): name the secret config keys of its credentials "
     "(accessKeyIdSecret, secretAccessKeySecret)"),
    ("image by a moving tag", "vigie:platform", "images.vigie", "registry.scoring.internal/vigie:latest",
     f"vigie:platform.images.vigie: 'registry.scoring.internal/vigie:latest': `latest` is a moving tag, not an "
     f"exact release; {PINNED}"),
    ("image by a branch's tag", "vigie:platform", "images.vigie", "registry.scoring.internal/vigie:main",
     f"vigie:platform.images.vigie: 'registry.scoring.internal/vigie:main': `main` is a moving tag, not an exact "
     f"release; {PINNED}"),
    ("image by a release line's tag", "vigie:platform", "images.vigie", "registry.scoring.internal/vigie:0.1",
     f"vigie:platform.images.vigie: 'registry.scoring.internal/vigie:0.1': `0.1` is a moving tag, not an exact "
     f"release; {PINNED}"),
    ("image without a tag or digest", "vigie:platform", "images.pushgateway", "docker.io/prom/pushgateway",
     f"vigie:platform.images.pushgateway: 'docker.io/prom/pushgateway' names no tag or digest, so every pull may "
     f"get another image; {PINNED}"),
    ("image with a malformed digest", "vigie:platform", "images.vigie", "registry.scoring.internal/vigie@sha256:abc",
     "vigie:platform.images.vigie: 'registry.scoring.internal/vigie@sha256:abc' is not an image reference (example: "
     "docker.io/prom/pushgateway:v1.11.1@sha256:<digest>)"),
    ("ingress host given as a URL", "vigie:platform", "scoring.ingress.host", "https://api.scoring.internal",
     "vigie:platform.scoring.ingress.host: 'https://api.scoring.internal' is not a DNS host name (example: "
     "api.scoring.internal)"),
    ("misspelt namespace", "vigi:alerts", "", {"CpuUsageHigh": {"for": "5m"}},
     "vigi:alerts: unknown config namespace 'vigi', did you mean 'vigie:alerts'?"),
]  # fmt: skip


def _tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


@pytest.mark.parametrize(
    ("key", "dotted", "value", "message"), [e[1:] for e in EDITS], ids=[e[0] for e in EDITS]
)
def test_bad_setting_is_one_line_exit_2_and_writes_nothing(
    project: Path, vigie: CliRunner, key: str, dotted: str, value: Any, message: str
) -> None:
    edit_stack(project / "Pulumi.prod.yaml", key, dotted, value)
    before = _tree_digest(project / "generated")
    code, out, err = vigie("--project-dir", project, "render", "--all")
    assert (code, out, err) == (2, "", f"error: Pulumi.prod.yaml: {message}\n")
    assert _tree_digest(project / "generated") == before
    assert "CANARY" not in err


def _block(lines: list[str], start: int) -> list[str]:
    """The line at `start` and the lines below it indented deeper: one YAML key with its value."""
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = next((i for i in range(start + 1, len(lines)) if len(lines[i]) - len(lines[i].lstrip()) <= indent),
               len(lines))  # fmt: skip
    return lines[start:end]


DUPLICATES = {
    # case: (the key's line as written, where its copy goes: "after" it or at the file's "end", key path)
    "a receiver given twice": (
        "      slack-ops-alerts:",
        "after",
        "vigie:alerting.receivers.slack-ops-alerts",
    ),
    "a section given twice": ("  vigie:model:", "end", "vigie:model"),
}


@pytest.mark.parametrize(("line", "where", "shown"), DUPLICATES.values(), ids=DUPLICATES)
def test_a_key_given_twice_names_both_lines_and_writes_nothing(
    project: Path, vigie: CliRunner, line: str, where: str, shown: str
) -> None:
    """YAML keeps the last of two equal keys without a word: a second receiver of one name re-points a
    channel, a second `vigie:model` changes the version ModelVersionUnexpected compares with."""
    path = project / "Pulumi.prod.yaml"
    lines = path.read_text().splitlines()
    first = lines.index(line)
    copy = _block(lines, first)
    at = first + len(copy) if where == "after" else len(lines)
    path.write_text("\n".join([*lines[:at], *copy, *lines[at:]]) + "\n")
    before = _tree_digest(project / "generated")
    code, out, err = vigie("--project-dir", project, "render", "--all")
    message = (
        f"{shown}: duplicate key (first at line {first + 1}); YAML would keep only the last, so remove one"
    )
    assert (code, out, err) == (2, "", f"error: Pulumi.prod.yaml:{at + 1}: {message}\n")
    assert _tree_digest(project / "generated") == before


def test_yaml_syntax_error_names_its_line(project: Path, vigie: CliRunner) -> None:
    path = project / "Pulumi.prod.yaml"
    lines = path.read_text().splitlines()
    line = next(i for i, text in enumerate(lines) if "retention:" in text)
    lines[line] = lines[line].replace("retention: ", "retention: [")
    path.write_text("\n".join(lines) + "\n")
    code, _, err = vigie("--project-dir", project, "render", "--stack", "prod")
    column = lines[line + 1].index(":") + 1  # the unclosed '[' swallows the next line up to its colon
    assert (code, err) == (2, f"error: Pulumi.prod.yaml:{line + 2}:{column}: YAML syntax error: expected ',' or "
                              "']', but got ':'\n")  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--stack", "qa"),
            "Pulumi.qa.yaml: unknown stack 'qa': the file does not exist (stacks: dev, prod, staging)",
        ),
        (("--stack", "../etc"), "../etc: not a valid stack name (letters, digits, '.', '_' and '-')"),
    ],
    ids=["unknown stack", "invalid stack name"],
)
def test_unknown_stack_is_rejected(
    project: Path, vigie: CliRunner, args: tuple[str, ...], message: str
) -> None:
    assert vigie("--project-dir", project, "render", *args) == (2, "", f"error: {message}\n")


def test_missing_stack_files_are_reported(tmp_path: Path, vigie: CliRunner) -> None:
    code, _, err = vigie("--project-dir", tmp_path, "render", "--all")
    assert (code, err) == (2, f"error: {tmp_path}: no Pulumi.<stack>.yaml here: is this a Vigie project?\n")
    assert not (tmp_path / "generated").exists()


def test_a_report_schedule_in_a_stack_without_business_e_mail_is_refused(
    project: Path, vigie: CliRunner
) -> None:
    """dev routes business alerts to Slack: there is nobody to mail a weekly report to."""
    edit_stack(project / "Pulumi.dev.yaml", "vigie:report", "schedule", "0 8 * * 1")
    code, out, err = vigie("--project-dir", project, "render", "--stack", "dev")
    assert (code, out) == (2, "")
    assert err == (
        "error: Pulumi.dev.yaml: vigie:report: the business route (vigie:alerting.routes.business) has no e-mail "
        "receiver to send the weekly report to; add one or remove vigie:report\n"
    )

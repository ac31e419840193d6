"""The drift DAG that Airflow runs: `vigie drift run` on the stack's schedule, then an alert task that reads the
run's Drift_Summary.json and posts the verdict alerts straight to Alertmanager's v2 API (the seed's path), with
the very labels of the Prometheus rules' alerts, so Alertmanager holds one alert whichever path delivers it.

`vigie render` writes this module's source followed by `SPEC`, the data it builds from the stack's settings
(generated/<stack>/airflow/vigie_drift_<stack>.py). The file runs where Vigie is not installed: Airflow's DAG
processor and workers. So this module imports only the standard library at the top; Airflow and the
cncf-kubernetes provider are imported by `build_dag` alone, and everything else is plain functions over plain
data that Vigie's own tests call without Airflow.
"""

from __future__ import annotations

import json
import logging
import subprocess
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

LOG = logging.getLogger(__name__)
POST_TIMEOUT_SECONDS = 10.0
START_DATE = datetime(2026, 1, 1, tzinfo=UTC)
"""Any date before the first deploy: catchup is off, so the first run is the next scheduled time."""
XCOM_RETURN = "/airflow/xcom/return.json"
"""Where KubernetesPodOperator's sidecar reads a pod's return value: the drift pod writes the summary there."""
DRIFT_TASK = "drift_run"
ALERT_TASK = "post_alerts"


def dag_id(stack_name: str) -> str:
    """The DAG's id, `vigie_drift_<stack>`: its SPEC carries it, and the drift job's runbooks name it."""
    return f"vigie_drift_{stack_name}"


def detected(spec: dict[str, Any], summary: dict[str, Any]) -> dict[str, float | None]:
    """Each verdict alert's name and value, for the verdicts the run found; the Prometheus rules read only the
    declared model version's verdicts, and so does this. A window too thin to judge has no verdict."""
    if summary.get("insufficient_data") or summary["model"]["version"] != spec["model_version"]:
        return {}
    data, matured = summary["data_drift"], summary["matured_performance"]
    verdicts = {
        "data_drift": (data["detected"], data["share"]),
        "prediction_drift": (summary["prediction_drift"]["drifted"], 1.0),
        "performance": (matured["degraded"], matured["cost_increase"]),
    }
    return {
        alert: verdicts[key][1] for key, alert in spec["verdicts"].items() if verdicts[key][0]
    }  # a disabled alert has no entry in spec["verdicts"]


def format_value(value: float | None, value_format: str) -> str:
    """The value as the rule's description prints it (Prometheus's humanizePercentage, or %g)."""
    if value is None:
        return ""
    if value_format == "humanizePercentage":
        return f"{value * 100:.4g}%"
    return f"{value:g}"


def alerts_for(spec: dict[str, Any], summary: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """Every verdict alert of the stack, as Alertmanager's v2 API takes them: a detected one firing until a run
    after the next should have replaced it, the others resolved now (a resolved alert that never fired
    notifies nobody)."""
    found = detected(spec, summary)
    version = summary["model"]["version"]
    until = now + timedelta(seconds=spec["firing_for_seconds"])
    alerts = []
    for name, alert in sorted(spec["alerts"].items()):
        labels = {**alert["labels"], spec["model_version_label"]: version}
        value = format_value(found.get(name), alert["value_format"])
        annotations = {**alert["annotations"], "description": alert["description"].replace("{value}", value)}
        alerts.append(
            {
                "labels": labels,
                "annotations": annotations,
                "startsAt": now.isoformat(),
                "endsAt": (until if name in found else now).isoformat(),
            }
        )
    return alerts


def post_alerts(url: str, alerts: list[dict[str, Any]]) -> None:
    """POST /api/v2/alerts; an HTTP error raises, so the task fails and Airflow retries it."""
    request = urllib.request.Request(
        f"{url.rstrip('/')}/api/v2/alerts",
        data=json.dumps(alerts).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=POST_TIMEOUT_SECONDS) as response:
        response.read()


def failed_status(spec: dict[str, Any], ended_at: float) -> str:
    """The failed status as `vigie drift run` pushes it: last run failed, at `ended_at`; the last success's
    timestamp is left alone."""
    values = {"last_run_success": 0.0, "last_run_timestamp": ended_at}
    lines = []
    for key, value in values.items():
        metric = spec["failure"]["metrics"][key]
        lines += [f"# HELP {metric['name']} {metric['help']}", f"# TYPE {metric['name']} gauge"]
        lines.append(f"{metric['name']} {value!r}")
    return "\n".join(lines) + "\n"


def push_failed_status(spec: dict[str, Any], ended_at: float) -> None:
    """POST (not PUT) to the run's group, so the other metrics of the last success survive."""
    request = urllib.request.Request(
        spec["failure"]["url"],
        data=failed_status(spec, ended_at).encode(),
        headers={"Content-Type": "text/plain; version=0.0.4"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=POST_TIMEOUT_SECONDS) as response:
        response.read()


def run_locally(spec: dict[str, Any], now: str) -> dict[str, Any]:
    """Local mode: `vigie drift run` as a process of the worker; its summary is the task's return value."""
    with tempfile.TemporaryDirectory(prefix="vigie-drift-dag-") as folder:
        summary = Path(folder) / "summary.json"
        argv = [*spec["command"], "--now", now, "--summary-file", str(summary)]
        LOG.info("running %s", " ".join(argv))
        subprocess.run(argv, check=True, timeout=spec["try_timeout_seconds"])
        result: dict[str, Any] = json.loads(summary.read_text())
    return result


def build_dag(spec: dict[str, Any]) -> Any:
    """The DAG: the drift task (a pod, or a local process), then the alert task fed the summary by XCom."""
    from airflow.sdk import DAG, task
    from airflow.timetables.trigger import CronTriggerTimetable

    def on_drift_failure(context: Any) -> None:
        """A try that fails before `vigie drift run` could push (no pod, OOM, deadline) still says so."""
        push_failed_status(spec, time.time())

    retries = {"retries": spec["retries"], "retry_delay": timedelta(seconds=spec["retry_delay_seconds"])}
    drift_options = {
        "execution_timeout": timedelta(seconds=spec["try_timeout_seconds"]),
        "on_failure_callback": on_drift_failure,
        **retries,
    }
    with DAG(
        dag_id=spec["dag_id"],
        schedule=CronTriggerTimetable(spec["schedule"], timezone="UTC"),
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        tags=spec["tags"],
        doc_md=__doc__,
    ) as dag:
        if spec["mode"] == "local":

            @task(task_id=DRIFT_TASK, **drift_options)  # type: ignore[untyped-decorator]
            def drift_run(**context: Any) -> dict[str, Any]:
                return run_locally(spec, context["dag_run"].run_after.isoformat())

            summary = drift_run()
        else:
            summary = _pod_task(spec, drift_options).output

        @task(task_id=ALERT_TASK, **retries)  # type: ignore[untyped-decorator]
        def post(summary: dict[str, Any]) -> int:
            alerts = alerts_for(spec, summary, datetime.now(UTC))
            post_alerts(spec["alertmanager_url"], alerts)
            firing = [a["labels"]["alertname"] for a in alerts if a["endsAt"] > a["startsAt"]]
            LOG.info("posted %d alerts, firing: %s", len(alerts), ", ".join(firing) or "none")
            return len(firing)

        post(summary)
    return dag


def _pod_task(spec: dict[str, Any], options: dict[str, Any]) -> Any:
    """The CronJob's pod (image, settings, resources, security context, volumes) run by KubernetesPodOperator;
    the window ends at the run's scheduled time, and the summary comes back through the XCom sidecar, which
    gets the drift container's security context so the restricted namespace admits it (its image and size are
    the Kubernetes connection's xcom_sidecar_container_image and _resources, see README)."""
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator

    pod = spec["kubernetes"]
    return KubernetesPodOperator(
        task_id=DRIFT_TASK,
        namespace=pod["namespace"],
        pod_template_dict=pod["template"],
        base_container_name=pod["container"],
        cmds=spec["command"],
        arguments=["--now", "{{ dag_run.run_after | ts }}", "--summary-file", XCOM_RETURN],
        do_xcom_push=True,
        xcom_sidecar_container_security_context=pod["security_context"],
        get_logs=True,
        on_finish_action="delete_pod",
        **options,
    )

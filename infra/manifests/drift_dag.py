"""The drift DAG of a stack whose drift.scheduler is airflow: the data its code runs on (`SPEC`), built from the
stack's settings and the drift alerts' own specs, and the file Airflow loads, infra/airflow/drift_dag.py's
source followed by that data; and the ConfigMap that ships the file to Airflow's DAG folder.

The verdict alerts the DAG posts carry the labels the Prometheus rules' alerts carry (alertname, the routing
labels of the spec, the Pushgateway's grouping key, the judged model version), so Alertmanager groups and
deduplicates the two as one alert whichever path reaches it first.
"""

from __future__ import annotations

import pprint
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conventions import contract as c
from infra.airflow import drift_dag
from infra.airflow.drift_dag import dag_id
from infra.labels import common_labels
from infra.manifests import drift_cronjob
from infra.manifests.drift_cronjob import DriftJobSlice
from infra.serialize import header
from infra.settings.model import DriftAirflow
from rules_src.alert import Alert
from rules_src.alerts import drift as drift_alerts
from rules_src.stack import Stack

COMPONENT = "drift-dag"
CONFIG_MAP = "vigie-drift-dag"
POD_ROLE = "vigie-drift-dag-pods"
VERDICTS = {
    "data_drift": drift_alerts.DATA_DRIFT,
    "prediction_drift": drift_alerts.PREDICTION_DRIFT,
    "performance": drift_alerts.MODEL_PERFORMANCE,
}
"""The summary's verdicts and the alert each one raises (Drift_Summary.json's keys)."""


@dataclass(frozen=True)
class DagSlice:
    """What the DAG reads: the drift job's slice (its pushgateway URL being the DAG's), its Airflow settings,
    the Alertmanager it posts to, and the stack whose alerts it posts."""

    job: DriftJobSlice
    airflow: DriftAirflow
    alertmanager_url: str
    stack: Stack


def dag_file_name(stack_name: str) -> str:
    return f"{dag_id(stack_name)}.py"


def _alert(alert: Alert, dag: DagSlice) -> dict[str, Any]:
    """An alert as its rule has it: labels without the judged model version (the run's summary gives it),
    annotations, and the description with its value left as `{value}` for the run to fill in."""
    alerts = dag.stack.alerts
    scope = alerts.scope
    label_values = {**scope.drift_labels, c.MODEL_VERSION: scope.model_version, c.STACK: dag.stack.name}
    return {
        "labels": dict(sorted({"alertname": alert.name, **alert.labels(), **scope.drift_labels}.items())),
        "annotations": {
            "summary": alert.summary(),
            "runbook_url": alerts.links.runbook(alert),
            "dashboard_url": alerts.links.dashboard(alert),
        },
        "description": alert.description_with("{value}", label_values),
        "value_format": alert.spec.value_format.value,
    }


def _verdict_alerts(stack: Stack) -> dict[str, Alert]:
    """The enabled verdict alerts, by the summary key that raises each."""
    enabled = {alert.name: alert for alert in stack.alerts.enabled}
    return {key: enabled[spec.name] for key, spec in VERDICTS.items() if spec.name in enabled}


def _failure(job: DriftJobSlice) -> dict[str, Any]:
    """Where and what the failure callback pushes: the run's Pushgateway group, the contract's status gauges."""
    group = f"{job.pushgateway_url}/metrics/job/{c.DRIFT_PUSH_JOB}/{c.STACK}/{job.stack_name}"
    metrics = {"last_run_success": c.DRIFT_LAST_RUN_SUCCESS, "last_run_timestamp": c.DRIFT_LAST_RUN_TIMESTAMP}
    return {"url": group, "metrics": {k: {"name": m.name, "help": m.help} for k, m in metrics.items()}}


def _command(dag: DagSlice) -> list[str]:
    """On Kubernetes, the CronJob's command; locally, `vigie drift run` with the stack's own URIs, from the
    worker's working directory as `vigie local` runs from the project's."""
    if dag.airflow.mode == "kubernetes":
        return drift_cronjob.drift_command(dag.job)
    return ["vigie", "drift", "run", "--stack", dag.job.stack_name, "--pushgateway", dag.job.pushgateway_url]


def _kubernetes(job: DriftJobSlice) -> dict[str, Any]:
    template = {"apiVersion": "v1", "kind": "Pod", **drift_cronjob.drift_pod(job)}
    container = template["spec"]["containers"][0]
    return {
        "namespace": job.namespace,
        "template": template,
        "container": container["name"],
        "security_context": container["securityContext"],
    }


def dag_spec(dag: DagSlice) -> dict[str, Any]:
    """Everything the DAG's code reads, from the settings: nothing in the generated file is edited by hand."""
    job, pods = dag.job, dag.job.platform.drift_job
    verdicts = _verdict_alerts(dag.stack)
    stale = dag.stack.alerts.named(drift_alerts.DRIFT_JOB_STALE.name)
    assert stale.threshold is not None
    spec: dict[str, Any] = {
        "dag_id": dag_id(job.stack_name),
        "schedule": job.drift.schedule,
        "tags": ["vigie", "drift", job.stack_name],
        "mode": dag.airflow.mode,
        "command": _command(dag),
        "retries": pods.backoff_limit,
        "retry_delay_seconds": int(dag.airflow.retry_delay.seconds),
        "try_timeout_seconds": pods.try_timeout_seconds,
        "alertmanager_url": dag.alertmanager_url,
        "model_version": dag.stack.settings.model.version,
        "model_version_label": c.MODEL_VERSION,
        "verdicts": {key: alert.name for key, alert in verdicts.items()},
        "alerts": {alert.name: _alert(alert, dag) for alert in verdicts.values()},
        "firing_for_seconds": int(stale.threshold),
        "failure": _failure(job),
    }
    if dag.airflow.mode == "kubernetes":
        spec["kubernetes"] = _kubernetes(job)
    return spec


def dag_file(dag: DagSlice, source: str) -> str:
    """The DAG's code, then its data, then the DAG Airflow finds at the module's top level."""
    code = Path(drift_dag.__file__).read_text(encoding="utf-8")
    data = pprint.pformat(dag_spec(dag), width=110, sort_dicts=True)
    return f"{header(source)}{code}\n\nSPEC: dict[str, Any] = {data}\n\ndag = build_dag(SPEC)\n"


def dag_config_map(dag: DagSlice, source: str) -> dict[str, Any]:
    """The file in a ConfigMap of Airflow's namespace, for its DAG folder (a mounted volume, see README)."""
    name = dag_file_name(dag.job.stack_name)
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": CONFIG_MAP,
            "namespace": dag.airflow.namespace,
            "labels": common_labels(dag.job.stack_name, COMPONENT),
        },
        "data": {name: dag_file(dag, source)},
    }


POD_RULES = (
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "delete", "get", "list", "patch"]},
    {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
    {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create", "get"]},
    {"apiGroups": [""], "resources": ["events"], "verbs": ["list"]},
)
"""What KubernetesPodOperator calls in the pod's namespace (cncf-kubernetes provider 10.25, synchronous mode):
pods create (PodManager.run_pod_async: create_namespaced_pod), get (read_pod, while it waits and at the end),
list (find_pod: list_namespaced_pod, to reattach to a retried try's pod), patch (patch_already_checked: the
`already_checked` label) and delete (on_finish_action=delete_pod: delete_namespaced_pod); pods/log get
(fetch_container_logs: read_namespaced_pod_log, get_logs=True); pods/exec for the XCom sidecar (extract_xcom:
connect_get_namespaced_pod_exec, a websocket GET that Kubernetes authorises as create since 1.31, as get
before); events list (read_pod_events: list_namespaced_event, polled, logged when the pod fails). No watch:
the synchronous path never streams one."""


def _pod_rights_metadata(dag: DagSlice) -> dict[str, Any]:
    return {
        "name": POD_ROLE,
        "namespace": dag.job.namespace,
        "labels": common_labels(dag.job.stack_name, COMPONENT),
    }


def dag_pod_role(dag: DagSlice) -> dict[str, Any]:
    """The rights the drift task needs in the scoring namespace to run the drift pod there, and no more."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": _pod_rights_metadata(dag),
        "rules": [dict(rule) for rule in POD_RULES],
    }


def dag_pod_role_binding(dag: DagSlice) -> dict[str, Any]:
    """Those rights for Airflow's worker ServiceAccount, from Airflow's namespace: the task runs as it."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": _pod_rights_metadata(dag),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": POD_ROLE},
        "subjects": [
            {
                "kind": "ServiceAccount",
                "name": dag.airflow.service_account,
                "namespace": dag.airflow.namespace,
            }
        ],
    }

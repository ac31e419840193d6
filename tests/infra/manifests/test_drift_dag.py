"""The drift DAG's data and file, built from the stack: its pod is the CronJob's, its alerts are the rules', and
the file is the DAG module's own source with that data after it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from infra.airflow import drift_dag as dag_code
from infra.manifests import drift_cronjob
from infra.manifests.concerns import drift_dag_slice, drift_jobs
from infra.manifests.drift_dag import dag_config_map, dag_file, dag_pod_role, dag_pod_role_binding, dag_spec
from rules_src.rule_groups import rule_groups
from rules_src.stack import load_stack
from tests.conftest import PROJECT_DIR
from tests.infra.drift_schedules import dag_spec as spec_of_file

AIRFLOW_STACKS = ("staging", "prod")
PROVIDER = PROJECT_DIR / ".venv-airflow/lib/python3.11/site-packages/airflow/providers/cncf/kubernetes"
CALLERS = ("utils/pod_manager.py", "operators/pod.py")
"""Where KubernetesPodOperator's synchronous path calls the Kubernetes API in the pod's namespace."""
API_CALL = re.compile(
    r"(?P<verb>create|read|list|patch|delete|connect_get)_namespaced_(?P<kind>pod|event)(?P<sub>_log|_exec)?"
)
VERBS = {"read": ("get",), "connect_get": ("create", "get")}
"""The RBAC verbs of a client method: a read is a get; an exec's websocket GET is authorised as create since
Kubernetes 1.31, as get before."""


@pytest.mark.parametrize("name", AIRFLOW_STACKS)
def test_the_file_is_the_dag_module_then_its_spec(name: str) -> None:
    dag = drift_dag_slice(load_stack(PROJECT_DIR, name))
    text = dag_file(dag, f"Pulumi.{name}.yaml")
    assert Path(dag_code.__file__).read_text() in text
    assert text.endswith("\ndag = build_dag(SPEC)\n")
    assert spec_of_file(text) == dag_spec(dag)
    assert dag_config_map(dag, f"Pulumi.{name}.yaml")["data"] == {f"vigie_drift_{name}.py": text}


@pytest.mark.parametrize("name", AIRFLOW_STACKS)
def test_the_dag_runs_the_cron_jobs_pod_with_its_retries_and_deadline(name: str) -> None:
    stack = load_stack(PROJECT_DIR, name)
    dag = drift_dag_slice(stack)
    spec, pods = dag_spec(dag), stack.settings.platform.drift_job
    cron = drift_cronjob.drift_cron_job(dag.job)["spec"]["jobTemplate"]["spec"]
    template = spec["kubernetes"]["template"]
    assert {key: template[key] for key in ("metadata", "spec")} == cron["template"]
    assert spec["command"] == cron["template"]["spec"]["containers"][0]["command"]
    assert spec["retries"] == cron["backoffLimit"]
    assert spec["try_timeout_seconds"] * (pods.backoff_limit + 1) <= cron["activeDeadlineSeconds"]
    assert spec["schedule"] == stack.settings.drift.schedule


@pytest.mark.parametrize("name", AIRFLOW_STACKS)
def test_each_posted_alert_has_its_rules_labels_and_annotations(name: str) -> None:
    stack = load_stack(PROJECT_DIR, name)
    rules = {r["alert"]: r for g in rule_groups(stack.alerts) for r in g["rules"] if "alert" in r}
    spec = dag_spec(drift_dag_slice(stack))
    assert set(spec["alerts"]) == {"DataDriftDetected", "PredictionDriftDetected", "ModelPerformanceDegraded"}
    for alert_name, alert in spec["alerts"].items():
        rule = rules[alert_name]
        series = {"job": "vigie-drift", "stack": name}
        assert alert["labels"] == {"alertname": alert_name, **rule["labels"], **series}
        assert alert["annotations"] == {
            key: rule["annotations"][key] for key in ("summary", "runbook_url", "dashboard_url")
        }


def _rights_the_provider_calls() -> set[tuple[str, str]]:
    """(resource, verb) of every namespaced pod or event call in the installed provider's operator path."""
    assert PROVIDER.is_dir(), "Airflow's venv is missing: run `make test` (or make .venv-airflow/.installed)"
    found = set()
    for caller in CALLERS:
        tree = ast.parse((PROVIDER / caller).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and (call := API_CALL.fullmatch(node.attr)):
                resource = f"{call['kind']}s" + (f"/{call['sub'][1:]}" if call["sub"] else "")
                found |= {(resource, verb) for verb in VERBS.get(call["verb"], (call["verb"],))}
    return found


def test_the_role_grants_every_pod_call_of_the_operator_and_nothing_else() -> None:
    role = dag_pod_role(drift_dag_slice(load_stack(PROJECT_DIR, "prod")))
    granted = {(r, v) for rule in role["rules"] for r in rule["resources"] for v in rule["verbs"]}
    assert granted == _rights_the_provider_calls()
    assert all(rule["apiGroups"] == [""] for rule in role["rules"])


@pytest.mark.parametrize("name", AIRFLOW_STACKS)
def test_the_role_binds_airflows_worker_to_the_scoring_namespace(name: str) -> None:
    stack = load_stack(PROJECT_DIR, name)
    dag, airflow = drift_dag_slice(stack), stack.settings.drift.airflow
    role, binding = dag_pod_role(dag), dag_pod_role_binding(dag)
    assert (
        role["metadata"]["namespace"] == binding["metadata"]["namespace"] == stack.settings.serving.namespace
    )
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": role["metadata"]["name"],
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": airflow.service_account, "namespace": airflow.namespace}
    ]
    kinds = [m["kind"] for m in drift_jobs(stack).manifests()]
    assert "Role" in kinds and "RoleBinding" in kinds and "CronJob" not in kinds


def test_a_cronjob_stack_grants_airflow_nothing() -> None:
    kinds = [m["kind"] for m in drift_jobs(load_stack(PROJECT_DIR, "dev")).manifests()]
    assert "CronJob" in kinds and not {"Role", "RoleBinding"} & set(kinds)

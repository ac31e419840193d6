"""The generated drift DAGs in a real Airflow (3.x, its own venv, `make test` installs it): every committed DAG
loads with no import error, and, in local mode, `dag.test()` runs `vigie drift run` as a process and its alert
task posts to a real Alertmanager (no Prometheus runs, so what reaches Slack came from the task); a drift task
killed at its deadline, before the job could push, still leaves the failed status at the Pushgateway through the
failure callback. Airflow starts once for the module: one process loads and runs everything."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from conventions import contract as c
from infra.airflow.drift_dag import XCOM_RETURN
from infra.cli import main
from infra.manifests import drift_cronjob
from infra.manifests.concerns import drift_dag_slice
from infra.manifests.drift_dag import dag_file_name, dag_id
from rules_src.stack import load_stack
from tests.alertmanager_fixtures import RunningAlertmanager, fast_routing, running_alertmanager, wait_for
from tests.conftest import PROJECT_DIR
from tests.drift_fixtures import NOW_TEXT, SCENARIO, Dataset, Gateway
from tests.infra.k8s_schemas import manifest_problems
from tests.infra.stack_edits import edit_stack

AIRFLOW_PYTHON = PROJECT_DIR / ".venv-airflow" / "bin" / "python"
DRIVER = PROJECT_DIR / "tests" / "airflow_driver.py"
"""Outside tests/infra, whose airflow/ test package would shadow Airflow on the script's path."""
DRIFTED = "prod"
"""The stack whose ML-degradation route is the seed's #MLOps-Alerts: its DAG runs on drifted data."""
KILLED = "staging"
"""Its DAG's drift task is killed at a one-second deadline, long before `vigie drift run` could push."""
MLOPS = "slack-mlops-alerts"
RUN_TIMEOUT_S = 300


@dataclass(frozen=True)
class AirflowRuns:
    loaded: dict[str, Any]
    """What Airflow's DagBag made of the committed DAGs."""
    runs: dict[str, Any]
    """Each local DAG's run: its state and its tasks' states."""
    alertmanager: RunningAlertmanager
    gateway: Gateway
    started: float
    ended: float


KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: never-reached, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: nobody, user: {token: none}}]
contexts: [{name: never-reached, context: {cluster: never-reached, user: nobody}}]
current-context: never-reached
"""
"""KubernetesPodOperator reads a kube config to build its pod, though building calls no API."""


def _airflow_env(home: Path) -> dict[str, str]:
    """Airflow's state in the run folder (SQLite); `vigie` on the worker's PATH, as the local mode expects."""
    (home / "kubeconfig").write_text(KUBECONFIG)
    return {
        **os.environ,
        "KUBECONFIG": str(home / "kubeconfig"),
        "PATH": os.pathsep.join([str(PROJECT_DIR / ".venv" / "bin"), os.environ["PATH"]]),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
    }


def _local_dag(
    project: Path, stack: str, data: Dataset, alertmanager: str, gateway: str, deadline: str
) -> Path:
    """`stack`'s DAG in local mode over `data`, rendered as `vigie render` renders it, without retries."""
    stack_file = project / f"Pulumi.{stack}.yaml"
    edit_stack(stack_file, "vigie:model", "version", SCENARIO.model_version)
    edit_stack(stack_file, "vigie:model", "artifactUri", str(data.model))
    edit_stack(stack_file, "vigie:serving", "predictionLog.uri", str(data.log))
    edit_stack(stack_file, "vigie:drift", "reportsUri", str(project / "reports"))
    edit_stack(stack_file, "vigie:drift", "airflow",
               {"mode": "local", "alertmanagerUrl": alertmanager, "pushgatewayUrl": gateway})  # fmt: skip
    edit_stack(stack_file, "vigie:platform", "driftJob", {"backoffLimit": 0, "activeDeadline": deadline})
    assert main(["--project-dir", str(project), "render", "--stack", stack]) == 0
    return project / "generated" / stack / "airflow" / dag_file_name(stack)


def _copy_to(folder: Path, *files: Path) -> Path:
    folder.mkdir(parents=True)
    for path in files:
        shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture(scope="module")
def airflow_runs(
    tmp_path_factory: pytest.TempPathFactory, shared_dataset: Dataset, running_gateway: Gateway
) -> Iterator[AirflowRuns]:
    assert AIRFLOW_PYTHON.is_file(), (
        "Airflow's venv is missing: run `make test` (or make .venv-airflow/.installed)"
    )
    home = PROJECT_DIR / "run" / f"airflow-tests-{os.getpid()}"
    shutil.rmtree(home, ignore_errors=True)
    project = tmp_path_factory.mktemp("airflow-project")
    for path in PROJECT_DIR.glob("Pulumi*.yaml"):
        shutil.copy(path, project / path.name)
    running_gateway.wipe()
    try:
        with running_alertmanager(
            fast_routing(DRIFTED), tmp_path_factory.mktemp("alertmanager")
        ) as alertmanager:
            urls = (alertmanager.url, running_gateway.url)
            local = (_local_dag(project, DRIFTED, shared_dataset, *urls, deadline="2h"),
                     _local_dag(project, KILLED, shared_dataset, *urls, deadline="1s"))  # fmt: skip
            _copy_to(home / "dags", *local)
            committed = _copy_to(
                home / "committed", *sorted((PROJECT_DIR / "generated").glob("*/airflow/*.py"))
            )
            home.mkdir(exist_ok=True)
            env = _airflow_env(home)
            started = time.time()
            migrate = [str(AIRFLOW_PYTHON), "-m", "airflow", "db", "migrate"]
            subprocess.run(migrate, env=env, check=True, capture_output=True, timeout=RUN_TIMEOUT_S)
            driver = [
                str(AIRFLOW_PYTHON),
                str(DRIVER),
                str(committed),
                NOW_TEXT,
                dag_id(DRIFTED),
                dag_id(KILLED),
            ]
            done = subprocess.run(
                driver, env=env, cwd=project, capture_output=True, text=True, timeout=RUN_TIMEOUT_S
            )
            assert done.returncode == 0, done.stderr[-4000:]
            result = json.loads(done.stdout.splitlines()[-1])
            yield AirflowRuns(result, result["runs"], alertmanager, running_gateway, started, time.time())
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_every_generated_dag_loads_with_no_import_error(airflow_runs: AirflowRuns) -> None:
    loaded = airflow_runs.loaded
    assert loaded["import_errors"] == {}
    assert sorted(loaded["dags"]) == [dag_id("prod"), dag_id("staging")]
    for stack in ("prod", "staging"):
        settings = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]["vigie:drift"]
        dag = loaded["dags"][dag_id(stack)]
        assert dag["timetable"] == settings["schedule"]
        assert dag["task_types"] == {
            "drift_run": "KubernetesPodOperator",
            "post_alerts": "_PythonDecoratedOperator",
        }


def test_a_dag_run_on_drifted_data_posts_the_ml_alerts_to_mlops_slack(airflow_runs: AirflowRuns) -> None:
    assert airflow_runs.runs[dag_id(DRIFTED)] == {
        "state": "success", "tasks": {"drift_run": "success", "post_alerts": "success"}
    }  # fmt: skip
    alertmanager = airflow_runs.alertmanager
    verdicts = {"DataDriftDetected", "PredictionDriftDetected"}
    wait_for(lambda: verdicts <= alertmanager.delivered(MLOPS))
    channels = {d.destination for d in alertmanager.deliveries() if set(d.alertnames) & verdicts}
    assert channels == {"Slack #MLOps-Alerts"}
    rules = yaml.safe_load((PROJECT_DIR / "generated" / DRIFTED / "rules.yaml").read_text())
    rule_labels = {r["alert"]: r["labels"] for g in rules["groups"] for r in g["rules"] if "alert" in r}
    held = {a["labels"]["alertname"]: a["labels"] for a in alertmanager.api("/api/v2/alerts")}
    series = {c.JOB: c.DRIFT_PUSH_JOB, c.STACK: DRIFTED, c.MODEL_VERSION: SCENARIO.model_version}
    assert {name: held[name] for name in verdicts} == {
        name: {"alertname": name, **rule_labels[name], **series} for name in verdicts
    }
    assert "ModelPerformanceDegraded" not in held, "no matured labels: no verdict on performance"
    group = frozenset({c.JOB: c.DRIFT_PUSH_JOB, c.STACK: DRIFTED, "instance": ""}.items())
    assert airflow_runs.gateway.metrics()[(c.DRIFT_LAST_RUN_SUCCESS.name, group)] == 1


def test_a_drift_task_killed_at_its_deadline_pushes_the_failed_status(airflow_runs: AirflowRuns) -> None:
    assert airflow_runs.runs[dag_id(KILLED)] == {
        "state": "failed", "tasks": {"drift_run": "failed", "post_alerts": "upstream_failed"}
    }  # fmt: skip
    group = frozenset({c.JOB: c.DRIFT_PUSH_JOB, c.STACK: KILLED, "instance": ""}.items())
    pushed = airflow_runs.gateway.metrics()
    assert pushed[(c.DRIFT_LAST_RUN_SUCCESS.name, group)] == 0
    assert airflow_runs.started <= pushed[(c.DRIFT_LAST_RUN_TIMESTAMP.name, group)] <= airflow_runs.ended
    assert (c.DRIFT_LAST_SUCCESS_TIMESTAMP.name, group) not in pushed, (
        "the job never pushed: only the callback"
    )


def test_the_pod_airflow_builds_is_the_cron_jobs_with_the_xcom_sidecar(airflow_runs: AirflowRuns) -> None:
    """Same image, command, settings file, resources, security context and volumes as the CronJob's pod; the
    sidecar that returns the summary meets the restricted Pod Security level too; the whole pod validates."""
    for name in ("prod", "staging"):
        pod = airflow_runs.loaded["pods"][dag_id(name)]
        stack = load_stack(PROJECT_DIR, name)
        template = drift_cronjob.drift_pod(drift_dag_slice(stack).job)
        drift, sidecar = pod["spec"]["containers"]
        expected = template["spec"]["containers"][0]
        assert {key: drift[key] for key in expected} == {
            **expected, "volumeMounts": [{"mountPath": "/airflow/xcom", "name": "xcom"}, *expected["volumeMounts"]]
        }  # fmt: skip
        assert drift["args"][2:] == ["--summary-file", XCOM_RETURN]
        assert sidecar["securityContext"] == expected["securityContext"]
        for key in ("securityContext", "serviceAccountName", "automountServiceAccountToken", "restartPolicy"):
            assert pod["spec"][key] == template["spec"][key], key
        assert pod["metadata"]["namespace"] == stack.settings.serving.namespace
        assert template["metadata"]["labels"].items() <= pod["metadata"]["labels"].items()
        assert manifest_problems(pod) == []

"""Run by the Airflow venv's Python (Vigie is not installed there), never imported by the suite: load a folder
of DAGs with Airflow's DagBag, then run each DAG named with `dag.test()` (those of Airflow's DAG folder), at one
time; print what happened as one JSON line. One process for it all: Airflow takes seconds to start.

    python airflow_driver.py DAG_FOLDER [RUN_AFTER_ISO DAG_ID…]
"""

from __future__ import annotations

import json
import sys
from datetime import datetime


def main(argv: list[str]) -> int:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=argv[0])
    result: dict[str, object] = {
        "import_errors": {path: str(error) for path, error in bag.import_errors.items()},
        "dags": {
            dag_id: {
                "tasks": sorted(dag.task_dict),
                "timetable": dag.timetable.summary,
                "task_types": {t.task_id: type(t).__name__ for t in dag.tasks},
            }
            for dag_id, dag in bag.dags.items()
        },
    }
    result["pods"] = {
        dag_id: _built_pod(dag.task_dict["drift_run"])
        for dag_id, dag in bag.dags.items()
        if type(dag.task_dict["drift_run"]).__name__ == "KubernetesPodOperator"
    }
    if len(argv) > 1:
        when = datetime.fromisoformat(argv[1])
        runs = DagBag()
        result["runs"] = {}
        for dag_id in argv[2:]:
            run = runs.dags[dag_id].test(run_after=when, logical_date=when)
            result["runs"][dag_id] = {
                "state": str(run.state),
                "tasks": {ti.task_id: str(ti.state) for ti in run.get_task_instances()},
            }
    print(json.dumps(result))
    return 0


def _built_pod(operator: object) -> object:
    """The pod KubernetesPodOperator would create, as a manifest: building it reads a kube config (the caller
    points KUBECONFIG at a cluster that is never reached), and talks to no API."""
    from kubernetes.client import ApiClient

    return ApiClient().sanitize_for_serialization(operator.build_pod_request_obj())  # type: ignore[attr-defined]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

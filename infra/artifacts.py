"""Everything `vigie render` writes for one stack, built in memory: relative path → file content.

Builders return data; this module serialises it. Nothing here computes a threshold or writes PromQL.
"""

from __future__ import annotations

from typing import Any

from dashboards_src.build import dashboards
from dashboards_src.panel_index import panel_index
from infra.manifests import drift_dag
from infra.manifests.concerns import drift_dag_slice, for_review
from infra.manifests.selectors import monitored_labels
from infra.serialize import to_json, to_yaml, to_yaml_documents
from rules_src.alertmanager import alertmanager_config
from rules_src.alerts_doc import alerts_doc
from rules_src.rule_groups import rule_groups
from rules_src.rule_tests import rule_tests
from rules_src.runbooks import Siblings, runbooks
from rules_src.stack import RUNBOOKS_DIR, Stack

RULES_FILE = "rules.yaml"
RULE_TESTS_FILE = "rules.test.yaml"
LONG_RULE_TESTS_FILE = "rules.long.test.yaml"
"""The tests of alerts that take days to fire, evaluated every 15 minutes rather than every minute."""
PROMETHEUS_RULE_FILE = "prometheus-rule.yaml"
ALERTMANAGER_FILE = "alertmanager.yaml"
ALERTS_DOC_FILE = "ALERTS.md"
PROMETHEUS_RULE_NAME = "vigie-rules"
DASHBOARDS_DIR = "dashboards"
MANIFESTS_DIR = "manifests"
RELEASES_DIR = f"{MANIFESTS_DIR}/releases"
AIRFLOW_DIR = "airflow"


def source_of(stack: Stack) -> str:
    return f"Pulumi.{stack.name}.yaml"


def prometheus_rule(stack: Stack) -> dict[str, Any]:
    """The PrometheusRule custom resource holding the stack's rule groups."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {
            "name": PROMETHEUS_RULE_NAME,
            "namespace": stack.settings.monitoring.namespace,
            "labels": monitored_labels(stack.name, "rules"),
        },
        "spec": {"groups": rule_groups(stack.alerts)},
    }


def manifest_files(stack: Stack) -> dict[str, str]:
    """Every object the Pulumi program declares, one file per concern, and each Helm release with its values;
    secrets redacted."""
    source = source_of(stack)
    files: dict[str, str] = {}
    for stem, bundle in for_review(stack).items():
        files[f"{MANIFESTS_DIR}/{stem}.yaml"] = to_yaml_documents(bundle.manifests(), source)
        for release in bundle.releases:
            files[f"{RELEASES_DIR}/{release.chart}.yaml"] = to_yaml(release.as_document(), source)
    return files


def runbook_files(stack: Stack, routing: dict[str, Any], boards: dict[str, dict[str, Any]]) -> dict[str, str]:
    """`runbooks/<Alert>.md` for every enabled alert, and the folder's index."""
    siblings = Siblings(ALERTS_DOC_FILE, RULES_FILE, ALERTMANAGER_FILE, DASHBOARDS_DIR)
    pages = runbooks(stack, routing, panel_index(boards), siblings, source_of(stack))
    return {f"{RUNBOOKS_DIR}/{name}": text for name, text in pages.items()}


def dag_files(stack: Stack) -> dict[str, str]:
    """`airflow/vigie_drift_<stack>.py`, for a stack whose drift job Airflow schedules."""
    if stack.settings.drift.scheduler != "airflow":
        return {}
    name = drift_dag.dag_file_name(stack.name)
    return {f"{AIRFLOW_DIR}/{name}": drift_dag.dag_file(drift_dag_slice(stack), source_of(stack))}


def render_stack(stack: Stack) -> dict[str, str]:
    source = source_of(stack)
    tests, long_tests = rule_tests(stack.alerts, RULES_FILE)
    routing = alertmanager_config(stack.settings.alerting)
    boards = dashboards(stack)
    files = {
        PROMETHEUS_RULE_FILE: to_yaml(prometheus_rule(stack), source),
        RULES_FILE: to_yaml({"groups": rule_groups(stack.alerts)}, source),
        RULE_TESTS_FILE: to_yaml(tests, source),
        LONG_RULE_TESTS_FILE: to_yaml(long_tests, source),
        ALERTMANAGER_FILE: to_yaml(routing, source),
        ALERTS_DOC_FILE: alerts_doc(stack.alerts, stack.settings.alerting.routes, source),
        **{f"{DASHBOARDS_DIR}/{uid}.json": to_json(data) for uid, data in boards.items()},
        **runbook_files(stack, routing, boards),
        **manifest_files(stack),
        **dag_files(stack),
    }
    empty = sorted(name for name, text in files.items() if not text.strip())
    if empty:
        raise ValueError(f"stack {stack.name}: rendered empty files {empty}")
    return files

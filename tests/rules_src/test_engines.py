"""The generated rules, rule tests and routing, judged by the real promtool and amtool."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from infra.artifacts import RULE_TESTS_FILE, RULES_FILE, render_stack
from infra.checks import check_stack
from infra.render import stack_dir
from infra.serialize import to_yaml
from infra.settings.loader import read_config, stack_file
from rules_src.alerts import error_rate
from rules_src.alerts.scenarios import http_requests
from rules_src.rule_groups import rule_groups
from rules_src.stack import build_stack, load_stack
from tests.conftest import PROJECT_DIR, STACKS


@pytest.mark.parametrize("name", STACKS)
def test_promtool_and_amtool_accept_every_generated_check(name: str) -> None:
    results = check_stack(load_stack(PROJECT_DIR, name), stack_dir(PROJECT_DIR, name))
    failures = [f"{r.name}:\n{r.output}" for r in results if not r.ok]
    assert not failures, "\n".join(failures)
    assert len(results) > 3  # the config checks plus one route test per alert


def test_generated_rule_tests_catch_a_rule_whose_threshold_drifted(tmp_path: Path) -> None:
    """Rules rendered with another threshold than their tests must fail promtool: the tests can fail."""
    values, secrets = read_config(stack_file(PROJECT_DIR, "prod"))
    values["alerts"] = {**values.get("alerts", {}), "Http5xxRateHigh": {"threshold": 0.02}}
    drifted = render_stack(build_stack("prod", values, secrets, "test"))
    (tmp_path / RULES_FILE).write_text(drifted[RULES_FILE])
    shutil.copy(stack_dir(PROJECT_DIR, "prod") / RULE_TESTS_FILE, tmp_path / RULE_TESTS_FILE)
    done = subprocess.run(["promtool", "test", "rules", RULE_TESTS_FILE], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 1
    output = done.stdout + done.stderr
    failed_names = set(re.findall(r"^\s+name: (.+),$", output, flags=re.MULTILINE))
    assert failed_names == {"Http5xxRateHigh fires past 1% after 1m"}  # 1.2 % no longer fires at 2 %


def test_a_flood_of_client_errors_warns_and_never_pages(tmp_path: Path) -> None:
    """30 % of requests answered 422 (a client sending bad payloads) for 30 minutes: the 4xx warning fires,
    the P0 and the 5xx warning stay silent, judged by promtool over prod's generated rules."""
    stack = load_stack(PROJECT_DIR, "prod")
    flood = http_requests(stack.alerts.scope.scoring_labels, "422", 0.3)
    silent = [{"eval_time": "30m", "alertname": name, "exp_alerts": []}
              for name in (error_rate.API_ERROR_RATE.name, error_rate.HTTP_5XX.name)]  # fmt: skip
    alert = stack.alerts.named(error_rate.CLIENT_ERRORS.name)
    labels = {**flood.labels, **alert.labels()}
    annotations = {
        "summary": alert.summary(),
        "description": alert.description_for(flood.value, labels),
        "runbook_url": stack.alerts.links.runbook(alert),
        "dashboard_url": stack.alerts.links.dashboard(alert),
    }
    warned = {"eval_time": "30m", "alertname": alert.name,
              "exp_alerts": [{"exp_labels": labels, "exp_annotations": annotations}]}  # fmt: skip
    tests = {
        "rule_files": [RULES_FILE],
        "evaluation_interval": "1m",
        "group_eval_order": [g["name"] for g in rule_groups(stack.alerts)],
        "tests": [{"interval": flood.interval, "input_series": [s.promtool() for s in flood.series],
                   "alert_rule_test": [*silent, warned]}],
    }  # fmt: skip
    shutil.copy(stack_dir(PROJECT_DIR, "prod") / RULES_FILE, tmp_path / RULES_FILE)
    (tmp_path / "flood.test.yaml").write_text(to_yaml(tests))
    done = subprocess.run(["promtool", "test", "rules", "flood.test.yaml"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr

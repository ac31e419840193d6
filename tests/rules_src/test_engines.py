"""The generated rules, rule tests and routing, judged by the real promtool and amtool."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from conventions import contract as c
from infra.artifacts import LONG_RULE_TESTS_FILE, RULE_TESTS_FILE, RULES_FILE, render_stack
from infra.checks import check_stack
from infra.render import stack_dir
from infra.serialize import to_yaml
from infra.settings.loader import read_config, stack_file
from rules_src.alert import Scenario
from rules_src.alerts import availability, error_rate
from rules_src.alerts.scenarios import gauge, http_requests
from rules_src.rule_groups import rule_groups
from rules_src.stack import build_stack, load_stack
from tests.conftest import PROJECT_DIR, STACKS


@pytest.mark.parametrize("name", STACKS)
def test_promtool_and_amtool_accept_every_generated_check(name: str) -> None:
    results = check_stack(load_stack(PROJECT_DIR, name), stack_dir(PROJECT_DIR, name))
    failures = [f"{r.name}:\n{r.output}" for r in results if not r.ok]
    assert not failures, "\n".join(failures)
    assert len(results) > 3  # the config checks plus one route test per alert


RULE_DRIFTS = {
    "a threshold moved": ("alerts", {"Http5xxRateHigh": {"threshold": 0.02}},
                          {"Http5xxRateHigh fires past 1% after 1m"}),  # 1.02 % no longer fires at 2 %
    "the low-traffic guard dropped": ("alerting", {"minRequestRate": 0}, {
        "ApiErrorRateCritical stays quiet below 1 req/s, even at 7%",
        "Http5xxRateHigh stays quiet below 1 req/s, even at 7%",
        "ClientErrorRateHigh stays quiet below 1 req/s, even at 13%",
        "ScoringTrafficStopped stays quiet otherwise",  # any traffic the day before is then traffic enough
    }),
}  # fmt: skip


@pytest.mark.parametrize(("key", "edit", "failing"), RULE_DRIFTS.values(), ids=RULE_DRIFTS)
def test_generated_rule_tests_catch_rules_that_drifted_from_them(
    tmp_path: Path, key: str, edit: dict[str, object], failing: set[str]
) -> None:
    """Rules rendered from other settings than their tests must fail promtool, naming the tests that catch it."""
    values, secrets = read_config(stack_file(PROJECT_DIR, "prod"))
    values[key] = {**values.get(key, {}), **edit}
    drifted = render_stack(build_stack("prod", values, secrets, "test"))
    (tmp_path / RULES_FILE).write_text(drifted[RULES_FILE])
    for name in (RULE_TESTS_FILE, LONG_RULE_TESTS_FILE):
        shutil.copy(stack_dir(PROJECT_DIR, "prod") / name, tmp_path / name)
    done = subprocess.run(["promtool", "test", "rules", RULE_TESTS_FILE, LONG_RULE_TESTS_FILE], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 1
    output = done.stdout + done.stderr
    assert set(re.findall(r"^\s+name: (.+),$", output, flags=re.MULTILINE)) == failing


def _scoring(stack_name: str) -> dict[str, str]:
    return load_stack(PROJECT_DIR, stack_name).alerts.scope.scoring_labels


def _flood() -> Scenario:
    """30 % of requests answered 422 (a client sending bad payloads)."""
    return http_requests(_scoring("prod"), "422", 0.3)


def _unhealthy() -> Scenario:
    """Both replicas reported, neither healthy (a crash loop: the pods are scraped, the model is not served)."""
    labels = {**_scoring("prod"), c.DEPLOYMENT: "CreditScorer"}
    series = tuple(gauge(c.REPLICAS_HEALTHY.name, {**labels, c.REPLICA: r}, 0) for r in "ab")
    return Scenario(series, 0, _scoring("prod"), active_from=0)


CROSS_CHECKS = {
    "a flood of client errors warns and never pages": (
        _flood, error_rate.CLIENT_ERRORS.name, (error_rate.API_ERROR_RATE.name, error_rate.HTTP_5XX.name)),
    "replicas reported but none healthy page as a dead service": (
        _unhealthy, availability.SCORING_DOWN.name, ()),
}  # fmt: skip


@pytest.mark.parametrize(("scenario", "fires", "silent"), CROSS_CHECKS.values(), ids=CROSS_CHECKS)
def test_prods_rules_judge_a_scenario_as_production_would(
    tmp_path: Path, scenario: Callable[[], Scenario], fires: str, silent: tuple[str, ...]
) -> None:
    """Steady series for 30 minutes, judged by promtool over prod's generated rules: `fires` fires with its
    labels and annotations, the `silent` alerts stay silent."""
    stack, steady = load_stack(PROJECT_DIR, "prod"), scenario()
    alert = stack.alerts.named(fires)
    labels = {**steady.labels, **alert.labels()}
    annotations = {
        "summary": alert.summary(),
        "description": alert.description_for(steady.value, labels),
        "runbook_url": stack.alerts.links.runbook(alert),
        "dashboard_url": stack.alerts.links.dashboard(alert),
    }
    checks = [{"eval_time": "30m", "alertname": name, "exp_alerts": []} for name in silent]
    checks.append({"eval_time": "30m", "alertname": alert.name,
                   "exp_alerts": [{"exp_labels": labels, "exp_annotations": annotations}]})  # fmt: skip
    tests = {
        "rule_files": [RULES_FILE],
        "evaluation_interval": "1m",
        "group_eval_order": [g["name"] for g in rule_groups(stack.alerts)],
        "tests": [{"interval": steady.interval, "input_series": [s.promtool() for s in steady.series],
                   "alert_rule_test": checks}],
    }  # fmt: skip
    shutil.copy(stack_dir(PROJECT_DIR, "prod") / RULES_FILE, tmp_path / RULES_FILE)
    (tmp_path / "cross.test.yaml").write_text(to_yaml(tests))
    done = subprocess.run(["promtool", "test", "rules", "cross.test.yaml"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr

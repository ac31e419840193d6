"""The runbooks `vigie render` writes: one per alert of every stack, where its `runbook_url` points, each with a
query that parses and reads the alert's series, panels that exist and draw them, links that resolve within
generated/, and the receivers and inhibitions of the stack's own Alertmanager configuration."""

from __future__ import annotations

import dataclasses
import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from conventions import contract as c
from dashboards_src import variables as v
from infra.artifacts import ALERTMANAGER_FILE, ALERTS_DOC_FILE, DASHBOARDS_DIR, RULES_FILE
from infra.render import GENERATED
from rules_src.alert import Alert, AlertSpec
from rules_src.alerts import CATALOG, watchdog
from rules_src.runbooks import Siblings, runbooks
from rules_src.stack import RUNBOOK_INDEX, RUNBOOKS_DIR, load_stack
from tests.conftest import PROJECT_DIR, STACKS
from tests.dashboards_src.promql_ast import metric_names

_MARKDOWN = MarkdownIt("commonmark").enable("table")


@cache
def _generated(stack: str) -> Path:
    return PROJECT_DIR / GENERATED / stack


@cache
def _alert_rules(stack: str) -> dict[str, dict[str, Any]]:
    """The alerting rules of the stack's generated rule file, by alert name."""
    groups = yaml.safe_load((_generated(stack) / RULES_FILE).read_text())["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"] if "alert" in rule}


@cache
def _tokens(stack: str, alert: str) -> list[Token]:
    return _MARKDOWN.parse((_generated(stack) / RUNBOOKS_DIR / f"{alert}.md").read_text())


def _inline(tokens: list[Token]) -> list[Token]:
    return [child for token in tokens if token.type == "inline" for child in token.children or []]


def _section(tokens: list[Token], heading: str) -> list[Token]:
    """The tokens between the `## heading` and the next `##`."""
    starts = [i for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h2"]
    for i in starts:
        if tokens[i + 1].content.startswith(heading):
            end = next((j for j in starts if j > i), len(tokens))
            return tokens[i + 3 : end]
    raise AssertionError(f"no section {heading!r}")


def _links(tokens: list[Token]) -> list[str]:
    return [str(t.attrs["href"]) for t in _inline(tokens) if t.type == "link_open"]


STACK_ALERTS = [(stack, name) for stack in STACKS for name in _alert_rules(stack)]


@pytest.mark.parametrize("stack", STACKS)
def test_every_alert_of_the_stack_has_its_runbook_where_its_runbook_url_points(stack: str) -> None:
    base = load_stack(PROJECT_DIR, stack).settings.alerting.runbook_base_url
    folder = _generated(stack) / RUNBOOKS_DIR
    rules = _alert_rules(stack)
    assert {rule["annotations"]["runbook_url"] for rule in rules.values()} == {
        base.join(f"{name}.md") for name in rules
    }
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [*(f"{name}.md" for name in rules), RUNBOOK_INDEX]
    )
    assert set(_links(_MARKDOWN.parse((folder / RUNBOOK_INDEX).read_text()))) >= {f"{n}.md" for n in rules}


@pytest.mark.parametrize("stack", STACKS)
def test_every_relative_link_of_the_runbooks_resolves_within_generated(stack: str) -> None:
    folder = _generated(stack) / RUNBOOKS_DIR
    checked = 0
    for page in sorted(folder.glob("*.md")):
        for href in _links(_MARKDOWN.parse(page.read_text())):
            if urlsplit(href).scheme:
                continue
            target = (folder / href).resolve()
            assert target.is_file(), f"{page.name}: {href} resolves to nothing"
            assert target.is_relative_to(PROJECT_DIR / GENERATED), f"{page.name}: {href} leaves generated/"
            checked += 1
    assert checked > 5 * len(_alert_rules(stack))


@pytest.mark.parametrize(("stack", "alert"), STACK_ALERTS)
def test_the_first_query_is_the_alerts_expression_and_every_query_parses(stack: str, alert: str) -> None:
    fences = [t for t in _section(_tokens(stack, alert), "The query to run first") if t.type == "fence"]
    assert fences and all(t.info == "promql" for t in fences)
    first, *recordings = (t.content.rstrip("\n") for t in fences)
    expr = _alert_rules(stack)[alert]["expr"]
    assert first == expr and metric_names(first) == metric_names(expr)
    assert len(recordings) == len(metric_names(expr) & _recording_names(stack))
    for query in recordings:
        assert metric_names(query), "a recording's expression reads raw series"


@cache
def _recording_names(stack: str) -> set[str]:
    groups = yaml.safe_load((_generated(stack) / RULES_FILE).read_text())["groups"]
    return {rule["record"] for group in groups for rule in group["rules"] if "record" in rule}


@cache
def _board(stack: str, uid: str) -> dict[str, Any]:
    return json.loads((_generated(stack) / DASHBOARDS_DIR / f"{uid}.json").read_text())


def _panel_links(stack: str, alert: str) -> list[tuple[str, int, str, str]]:
    """(dashboard uid, panel id, link text, what it shows) of each panel row of the runbook's table."""
    tokens = _section(_tokens(stack, alert), "The dashboard panels to open")
    rows = []
    cells = [t for t in tokens if t.type == "inline"]
    for i, cell in enumerate(cells):
        for j, child in enumerate(cell.children or []):
            href = str(child.attrs.get("href", "")) if child.type == "link_open" else ""
            if "viewPanel=" in href:
                uid = urlsplit(href).path.rsplit("/", 1)[1]
                panel_id = int(parse_qs(urlsplit(href).query)["viewPanel"][0])
                rows.append((uid, panel_id, (cell.children or [])[j + 1].content, cells[i + 1].content))
    return rows


@pytest.mark.parametrize(("stack", "alert"), STACK_ALERTS)
def test_each_panel_a_runbook_names_exists_and_reads_the_series_it_is_listed_for(
    stack: str, alert: str
) -> None:
    rows = _panel_links(stack, alert)
    assert bool(rows) == (alert != watchdog.WATCHDOG.name), "only the Watchdog has no panel to open"
    spec_dashboard = load_stack(PROJECT_DIR, stack).alerts.named(alert).spec.dashboard
    own_series = metric_names(_alert_rules(stack)[alert]["expr"])
    for uid, panel_id, title, shows in rows:
        board = _board(stack, uid)
        (panel,) = [p for p in v.panels(board) if p["id"] == panel_id]
        assert panel["title"] == title
        reads = set().union(*(metric_names(v.substitute(t["expr"], board)) for t in panel["targets"]))
        assert bool(reads & own_series) == (shows == "the alert's series")
    if rows and any(uid == spec_dashboard for uid, *_ in rows):
        assert rows[0][0] == spec_dashboard, "the alert's own dashboard comes first"


def _category_receivers(stack: str, category: str) -> list[str]:
    """The receivers the generated routing tree gives an alert of `category`, in delivery order."""
    config = yaml.safe_load((_generated(stack) / ALERTMANAGER_FILE).read_text())
    return [r["receiver"] for r in config["route"]["routes"] if f'category="{category}"' in r["matchers"]]


@pytest.mark.parametrize(("stack", "alert"), STACK_ALERTS)
def test_a_runbook_names_the_receivers_the_stacks_routing_gives_its_alert(stack: str, alert: str) -> None:
    rule = _alert_rules(stack)[alert]
    table = [t for t in _section(_tokens(stack, alert), "Who it reaches") if t.type == "inline"]
    receivers = [t.content.strip("`") for t in table if t.content.startswith("`")]
    assert receivers == _category_receivers(stack, rule["labels"]["category"])


@pytest.mark.parametrize(
    ("alert", "muted_by", "destinations"),
    [
        ("Http5xxRateHigh", ["ApiErrorRateCritical"], ["Slack #OPS-ALERTS"]),
        ("LatencyP95High", ["LatencyP99Critical"], ["Slack #OPS-ALERTS"]),
        ("ScoringTrafficStopped",
         ["ScoringServiceDown", "ScoringReplicasBelowMinimum", "ScoringApplicationNotRunning", "ScoringServiceDown"],
         ["Slack #OPS-ALERTS"]),
        ("ScoringReplicasBelowMinimum", ["ScoringServiceDown"], ["PagerDuty", "Slack #OPS-CRITICAL"]),
        ("ApiErrorRateCritical", [], ["PagerDuty", "Slack #OPS-CRITICAL"]),
        ("ClientErrorRateHigh", [], ["Slack #OPS-ALERTS"]),
        ("CreditRefusalRateHigh", [], ["e-mail to credit-risk@scoring.internal"]),
        ("DataDriftDetected", [], ["Slack #MLOps-Alerts"]),
    ],
)  # fmt: skip
def test_prod_runbooks_say_where_the_alert_goes_and_what_mutes_it(
    alert: str, muted_by: list[str], destinations: list[str]
) -> None:
    section = _section(_tokens("prod", alert), "Who it reaches")
    cells = [t.content for t in section if t.type == "inline"]
    assert [d for d in destinations if not any(cell.startswith(d) for cell in cells)] == []
    rules = [t.children or [] for t in section if t.type == "inline" and "(same " in t.content]
    muting = [kids[i + 1].content for kids in rules for i, kid in enumerate(kids) if kid.type == "link_open"]
    assert muting == muted_by


def test_a_runbook_text_naming_an_unknown_slot_is_refused_naming_the_alert() -> None:
    stack = load_stack(PROJECT_DIR, "prod")
    alert = stack.alerts.named("CpuUsageHigh")
    broken: Alert = dataclasses.replace(alert, spec=dataclasses.replace(alert.spec, impact="CPU of {pod}"))
    stack = dataclasses.replace(
        stack,
        alerts=dataclasses.replace(
            stack.alerts, every=tuple(broken if a is alert else a for a in stack.alerts.every)
        ),
    )
    siblings = Siblings(ALERTS_DOC_FILE, RULES_FILE, ALERTMANAGER_FILE, DASHBOARDS_DIR)
    with pytest.raises(ValueError, match=r"^alert CpuUsageHigh: runbook text names \{pod\}, not one of"):
        runbooks(stack, {"route": {"group_by": []}}, (), siblings, "test")


def test_every_alert_spec_says_what_it_means_its_causes_and_first_actions() -> None:
    alerts = load_stack(PROJECT_DIR, "prod").alerts.every
    thin = [a.name for a in alerts if not (a.spec.impact and a.spec.causes and a.spec.actions)]
    assert thin == []


@pytest.mark.parametrize("spec", [s for s in CATALOG if s.related], ids=lambda s: s.name)
def test_each_related_series_of_a_spec_is_a_contract_series_some_panel_reads(spec: AlertSpec) -> None:
    known = {m.name for m in c.EXPORTED} | {r.name for r in c.RECORDINGS}
    drawn = {
        name
        for path in sorted((_generated("prod") / DASHBOARDS_DIR).glob("*.json"))
        for board in [_board("prod", path.stem)]
        for panel in v.panels(board)
        for target in panel["targets"]
        for name in metric_names(v.substitute(target["expr"], board))
    }
    assert [name for name in spec.related if name not in known or name not in drawn] == []


@pytest.mark.parametrize(
    ("stack", "alert"),
    [(s, a) for s in STACKS for a in ("DriftJobFailed", "DriftJobStale", "DriftJobNeverRan")],
)
def test_a_drift_job_runbook_gives_the_advice_of_the_stacks_scheduler(stack: str, alert: str) -> None:
    """An Airflow stack's reader is sent to the DAG's runs and task logs, a CronJob stack's to kubectl."""
    tokens = _tokens(stack, alert)
    advice = " ".join(t.content for h in ("Likely causes", "First actions") for t in _section(tokens, h))
    airflow = load_stack(PROJECT_DIR, stack).settings.drift.scheduler == "airflow"
    airflow_words = [f"DAG `vigie_drift_{stack}`", "`drift_run`", "airflow dags"]
    cronjob_words = ["kubectl", "CronJob"]
    assert [w for w in (airflow_words if airflow else cronjob_words) if w not in advice] == []
    assert [w for w in (cronjob_words if airflow else airflow_words) if w in advice] == []
    if alert == "DriftJobFailed" and airflow:
        assert "on_failure_callback" in advice and "drift.airflow.retryDelay" in advice

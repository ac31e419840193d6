"""Runbooks: one page per alert of a stack, for whoever it notifies. Each says what the alert means for
scoring, the query to run first, the dashboard panels to open, likely causes and first actions, and who it
reaches in this stack and what can mute it.

Everything comes from the alert's spec, the stack's settings, its Alertmanager configuration and its built
dashboards, so a runbook cannot disagree with what fires, routes and draws. The dashboards come in as data
(`Panel`s, each with the series its queries read: rules_src sits below dashboards_src), and an alert's
panels are those reading the series its expression reads, or those its spec names as `related`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import jinja2
import promql_parser

from conventions import contract as c
from conventions import routing
from infra.airflow import drift_dag
from infra.settings.model import Receiver, StackSettings
from rules_src.alert import Alert, Prose
from rules_src.recording import recording_rules
from rules_src.stack import RUNBOOK_INDEX, Alerts, Stack, runbook_file

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("rules_src", "templates"),
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
TIME_SERIES = "timeseries"
SLOTS = (
    "namespace",
    "application",
    "stack",
    "model_version",
    "monitoring",
    "min_replicas",
    "threshold",
    "for_",
    "dag",
    "drift_task",
    "alert_task",
    "airflow_namespace",
)
"""The stack's values an alert's impact, causes and actions may name as `{slot}`; the last four are the drift
DAG's id, its two tasks' ids and Airflow's namespace, for the text a stack run by Airflow reads."""


@dataclass(frozen=True)
class Panel:
    """A dashboard panel as a runbook points at it: where it is, and which series its queries read."""

    dashboard_uid: str
    dashboard_title: str
    id: int
    title: str
    type: str
    """Grafana's panel type: a time series shows an alert's history, a single value only its present."""
    reads: frozenset[str]
    variables: tuple[tuple[str, str], ...]
    """The dashboard's label variables at their defaults (this stack's service), carried by the link."""


@dataclass(frozen=True)
class Siblings:
    """The stack's other generated files a runbook links to, as paths relative to `generated/<stack>/`."""

    alerts_doc: str
    rules: str
    routing: str
    dashboards_dir: str


def metric_names(expr: str) -> frozenset[str]:
    """The series names `expr` reads, found in its syntax tree (never in its text)."""
    found: set[str] = set()

    def visit(node: promql_parser.Expr) -> None:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            found.add(node.name)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return frozenset(found)


def runbooks(
    stack: Stack, routing_config: Mapping[str, Any], panels: Sequence[Panel], siblings: Siblings, source: str
) -> dict[str, str]:
    """File name (within the runbooks folder) → Markdown: one runbook per enabled alert, and the index."""
    alerts = stack.alerts
    rules = _InhibitRules.of(routing_config, alerts)
    recorded = {rule["record"]: rule["expr"] for rule in recording_rules(alerts.scope)}
    helps = {r.name: r.help for r in c.RECORDINGS}
    group_by = list(routing_config["route"]["group_by"])
    pages = {}
    for alert in alerts.enabled:
        page = {**_page(alert, stack, recorded, helps, panels, rules), "group_by": group_by}
        pages[runbook_file(alert.name)] = _ENV.get_template("RUNBOOK.md.j2").render(
            source=source, stack=stack.name, a=page, files=siblings, index=RUNBOOK_INDEX
        )
    index = [
        {"name": a.name, "file": runbook_file(a.name), "severity": a.severity.value,
         "category": a.spec.category.value, "summary": a.summary(),
         "receivers": stack.settings.alerting.routes.by_category()[a.spec.category].receivers}
        for a in alerts.enabled
    ]  # fmt: skip
    disabled = [a.name for a in alerts.every if not a.enabled]
    pages[RUNBOOK_INDEX] = _ENV.get_template("RUNBOOKS_INDEX.md.j2").render(
        source=source, stack=stack.name, alerts=index, disabled=disabled, base=str(alerts.links.runbooks),
        files=siblings,
    )  # fmt: skip
    return pages


def _page(
    alert: Alert,
    stack: Stack,
    recorded: Mapping[str, str],
    helps: Mapping[str, str],
    panels: Sequence[Panel],
    rules: _InhibitRules,
) -> dict[str, Any]:
    alerts, spec = stack.alerts, alert.spec
    expr = alert.expr(alerts.scope)
    reads = metric_names(expr)
    route = stack.settings.alerting.routes.by_category()[spec.category]
    text = _Texts(alert, stack)
    prose = _prose(alert, stack.settings)
    return {
        "name": alert.name,
        "summary": alert.summary(),
        "severity": alert.severity.value,
        "category": spec.category.value,
        "family": spec.family,
        "service": spec.service,
        "threshold": alert.threshold_text(),
        "for_": str(alert.for_),
        "impact": text(spec.impact),
        "causes": [text(x) for x in prose.causes],
        "actions": [text(x) for x in prose.actions],
        "expr": expr,
        "recordings": [
            {"name": n, "help": helps[n], "expr": recorded[n]} for n in sorted(reads & recorded.keys())
        ],
        "panels": [_panel_row(p, reads, alerts) for p in _panels_of(alert, reads, panels)],
        "dashboard": spec.dashboard,
        "dashboard_url": alerts.links.dashboard(alert),
        "route": route,
        "receivers": [{"name": n, "to": _destination(stack.settings, n)} for n in route.receivers],
        "muted_by": [{**m, "sources": _pages(m["sources"])} for m in rules.muting(alert)],
        "mutes": _pages(rules.muted_by(alert)),
    }


def _prose(alert: Alert, settings: StackSettings) -> Prose:
    """The causes and actions for what runs this stack's drift job: the spec's own speak of the CronJob."""
    spec = alert.spec
    if settings.drift.scheduler == "airflow" and spec.on_airflow is not None:
        return spec.on_airflow
    return Prose(spec.causes, spec.actions)


def _pages(names: Sequence[str]) -> list[dict[str, str]]:
    return [{"name": n, "file": runbook_file(n)} for n in names]


class _Texts:
    """An alert's runbook prose with the stack's values in its slots; a slot not in SLOTS names the alert."""

    def __init__(self, alert: Alert, stack: Stack) -> None:
        scope = stack.alerts.scope
        self._name = alert.name
        self._values = {
            "namespace": scope.namespace,
            "application": scope.application,
            "stack": scope.stack,
            "model_version": scope.model_version,
            "monitoring": stack.settings.monitoring.namespace,
            "min_replicas": scope.min_replicas,
            "threshold": alert.threshold_text(),
            "for_": alert.for_,
            "dag": drift_dag.dag_id(scope.stack),
            "drift_task": drift_dag.DRIFT_TASK,
            "alert_task": drift_dag.ALERT_TASK,
            "airflow_namespace": stack.settings.drift.airflow.namespace,
        }
        assert set(self._values) == set(SLOTS)

    def __call__(self, template: str) -> str:
        try:
            return template.format_map(self._values)
        except KeyError as error:
            raise ValueError(
                f"alert {self._name}: runbook text names {{{error.args[0]}}}, not one of {SLOTS}"
            ) from None


def _panels_of(alert: Alert, reads: frozenset[str], panels: Sequence[Panel]) -> list[Panel]:
    """Panels reading a series the alert's expression reads or its spec relates. Those of the alert's own
    dashboard first; then those drawing the alert's own series, most of them first; time series before single
    values; then in dashboard order."""
    wanted = reads | set(alert.spec.related)

    def rank(hit: tuple[int, Panel]) -> tuple[bool, int, bool, int, int]:
        index, panel = hit
        own, other = len(panel.reads & reads), len(panel.reads & wanted)
        return (panel.dashboard_uid != alert.spec.dashboard, -own, panel.type != TIME_SERIES, -other, index)

    return [
        panel for _, panel in sorted(((i, p) for i, p in enumerate(panels) if p.reads & wanted), key=rank)
    ]


def _panel_row(panel: Panel, reads: frozenset[str], alerts: Alerts) -> dict[str, Any]:
    board = alerts.links.grafana.join("d", panel.dashboard_uid)
    query = urlencode([*((f"var-{k}", v) for k, v in panel.variables), ("viewPanel", panel.id)])
    return {
        "dashboard_uid": panel.dashboard_uid,
        "dashboard_title": panel.dashboard_title,
        "title": panel.title,
        "id": panel.id,
        "url": f"{board}?{query}",
        "reads": sorted(panel.reads),
        "own": bool(panel.reads & reads),
    }


def _destination(settings: StackSettings, name: str) -> str:
    """Where a receiver delivers, as its settings say (never a secret's value)."""
    receiver: Receiver = settings.alerting.receivers[name]
    if receiver.slack:
        return f"Slack {receiver.slack.channel}"
    if receiver.pagerduty:
        return f"PagerDuty (Events API v2; routing key in secret `{receiver.pagerduty.routing_key_secret}`)"
    if receiver.email:
        return f"e-mail to {receiver.email.to}"
    if receiver.webhook:
        return f"webhook {receiver.webhook.url}"
    return "nowhere (the receiver has no integration)"


@dataclass(frozen=True)
class _Rule:
    """One inhibition rule of the generated Alertmanager configuration, its matchers parsed."""

    source: tuple[promql_parser.Matcher, ...]
    target: tuple[promql_parser.Matcher, ...]
    equal: tuple[str, ...]


class _InhibitRules:
    """Which of the stack's alerts can mute which, by the inhibition rules Alertmanager is configured with.

    An alert's labels are known here only as its rule sets them (alertname, severity, category, family,
    service); `equal` labels that come from the series (namespace) are left to the runbook's words."""

    def __init__(self, rules: Sequence[_Rule], alerts: Alerts) -> None:
        self._rules = rules
        self._alerts = alerts.enabled

    @classmethod
    def of(cls, config: Mapping[str, Any], alerts: Alerts) -> _InhibitRules:
        rules = [
            _Rule(_matchers(r["source_matchers"]), _matchers(r["target_matchers"]), tuple(r["equal"]))
            for r in config.get("inhibit_rules", [])
        ]
        return cls(rules, alerts)

    def muting(self, target: Alert) -> list[dict[str, Any]]:
        """The alerts that mute `target` while they fire, each with the labels they must share."""
        found = []
        for rule in self._rules:
            sources = [a.name for a in self._alerts if a is not target and _inhibits(rule, a, target)]
            if sources:
                found.append({"sources": sources, "equal": list(rule.equal)})
        return found

    def muted_by(self, source: Alert) -> list[str]:
        """The alerts `source` mutes while it fires."""
        return [
            a.name
            for a in self._alerts
            if a is not source and any(_inhibits(rule, source, a) for rule in self._rules)
        ]


def _matchers(texts: Sequence[str]) -> tuple[promql_parser.Matcher, ...]:
    """Alertmanager matchers (`label="value"`, `=~`, `!=`, `!~`), parsed as the PromQL selector they also are."""
    selector = promql_parser.parse("ALERTS{" + ",".join(texts) + "}")
    assert isinstance(selector, promql_parser.VectorSelector)
    return tuple(m for m in selector.matchers.matchers if m.name != "__name__")


def _labels(alert: Alert) -> dict[str, str]:
    return {routing.ALERTNAME: alert.name, **alert.labels()}


def _inhibits(rule: _Rule, source: Alert, target: Alert) -> bool:
    src, tgt = _labels(source), _labels(target)
    same = all(src.get(n, "") == tgt.get(n, "") for n in rule.equal if n in src or n in tgt)
    return same and _match(rule.source, src) and _match(rule.target, tgt)


def _match(matchers: Sequence[promql_parser.Matcher], labels: Mapping[str, str]) -> bool:
    """Alertmanager's semantics: an absent label is the empty string; regexes are anchored."""
    for m in matchers:
        value = labels.get(m.name, "")
        if m.op == promql_parser.MatchOp.Equal:
            ok = value == m.value
        elif m.op == promql_parser.MatchOp.NotEqual:
            ok = value != m.value
        elif m.op == promql_parser.MatchOp.Re:
            ok = re.fullmatch(m.value, value) is not None
        else:
            ok = re.fullmatch(m.value, value) is None
        if not ok:
            return False
    return True

"""ALERTS.md: the human-readable catalog of a stack's alerts, for reviewers and on-call."""

from __future__ import annotations

import jinja2

from conventions import contract as c
from rules_src.rule_groups import runbook_url
from rules_src.stack import Stack

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("rules_src", "templates"),
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=True,
    trim_blocks=False,
)


def alerts_doc(stack: Stack, source: str) -> str:
    routes = stack.settings.alerting.routes.by_category()
    alerts = [
        {
            "name": a.name,
            "severity": a.severity.value,
            "category": a.spec.category.value,
            "threshold": a.threshold_text(),
            "for_": a.for_,
            "receivers": routes[a.spec.category].receivers,
            "runbook": runbook_url(stack, a),
            "summary": a.summary(),
            "description": a.description_template(),
            "expr": a.expr(stack.scope),
        }
        for a in stack.enabled_alerts
    ]
    disabled = [a.name for a in stack.alerts if not a.enabled]
    return _ENV.get_template("ALERTS.md.j2").render(
        source=source, stack=stack.name, alerts=alerts, disabled=disabled, recordings=c.RECORDINGS
    )

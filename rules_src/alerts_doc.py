"""ALERTS.md: the human-readable catalog of a stack's alerts, for reviewers and on-call."""

from __future__ import annotations

import jinja2

from conventions import contract as c
from infra.settings.model import Routes
from rules_src.stack import Alerts

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("rules_src", "templates"),
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=True,
    trim_blocks=False,
)


def alerts_doc(alerts: Alerts, routes: Routes, source: str) -> str:
    receivers = routes.by_category()
    rows = [
        {
            "name": a.name,
            "severity": a.severity.value,
            "category": a.spec.category.value,
            "threshold": a.threshold_text(),
            "for_": a.for_,
            "receivers": receivers[a.spec.category].receivers,
            "runbook": alerts.links.runbook(a),
            "summary": a.summary(),
            "description": a.description_template(),
            "expr": a.expr(alerts.scope),
        }
        for a in alerts.enabled
    ]
    disabled = [a.name for a in alerts.every if not a.enabled]
    return _ENV.get_template("ALERTS.md.j2").render(
        source=source, stack=alerts.scope.stack, alerts=rows, disabled=disabled, recordings=c.RECORDINGS
    )

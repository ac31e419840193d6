"""A stack's fast twin for the local demo and the end-to-end tests: the same rules, routing and thresholds,
with short scrape and evaluation intervals, short `for` durations and short group intervals, so that an alert
fires within a minute or two of its cause. Real stacks keep the seed's durations.

Each route keeps its own group_wait, moved to midway between two of the short evaluations (the stack's own
values sit midway between its longer ones, where the two Alertmanagers cannot race: see
`infra.settings.validation`): the rate windows are not shortened, so a page still trails the warning it
inhibits by as long (about 12 s for a sudden 20 % of errors over [1m]), and the warning's group_wait is what
keeps it from going out before the page arrives. The drift job's Kubernetes deadline shrinks with the `for`s:
DriftJobFailed waits it out, and the local stack runs the job as a plain process it does not bound.

The drift job runs on demand here, so its schedule becomes every minute, which lets DriftJobNeverRan's grace be
minutes too (it must exceed the schedule's gap): long enough that normal traffic right after start-up sees no
alert but the Watchdog, short enough that a test can wait for it. Labels mature in a minute, so the predictions
of earlier tests form the matured cohort a later drift run judges."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conventions.durations import Duration, duration_seconds
from infra.settings.loader import read_config, stack_file
from infra.settings.model import Route
from infra.settings.validation import between_evaluations
from rules_src.alerts import CATALOG
from rules_src.alerts.drift import DRIFT_JOB_NEVER_RAN
from rules_src.stack import Stack, build_stack

INTERVAL = "2s"
MAX_FOR = "20s"
ROUTE_TIMING = {"groupInterval": "2s", "repeatInterval": "1h"}
DRIFT = {"schedule": "* * * * *", "labelDelay": "1m"}
AIRFLOW_RETRY_DELAY = "1s"
"""An Airflow stack's retries must end within DriftJobFailed's `for` (MAX_FOR here): with the default two
retries and the deadline cut to MAX_FOR, 2 x (1s + 6s) = 14s. The local stack runs the job as a process
(`vigie local drift`), so only the settings' consistency depends on it."""
NEVER_RAN_GRACE = "100s"
"""Prometheus starts about 30 s before Ray is ready, and the first test watches 30 s of traffic after that."""


def fast_stack(project_dir: Path, name: str) -> Stack:
    """The stack `name`, with every `for` capped at MAX_FOR and intervals of INTERVAL."""
    path = stack_file(project_dir, name)
    values, secrets = read_config(path)
    return build_stack(name, fast_values(values), secrets, f"{path.name} (fast)")


def fast_values(values: dict[str, Any]) -> dict[str, Any]:
    monitoring = {**values.get("monitoring", {}), "scrapeInterval": INTERVAL, "evaluationInterval": INTERVAL}
    overrides: dict[str, Any] = {name: dict(o) for name, o in values.get("alerts", {}).items()}
    for spec in CATALOG:
        current = overrides.get(spec.name, {}).get("for", spec.for_)
        if duration_seconds(current) > duration_seconds(MAX_FOR):
            overrides.setdefault(spec.name, {})["for"] = MAX_FOR
    overrides[DRIFT_JOB_NEVER_RAN.name] = {
        **overrides.get(DRIFT_JOB_NEVER_RAN.name, {}),
        "for": NEVER_RAN_GRACE,
    }
    alerting = dict(values.get("alerting", {}))
    routes = alerting.get("routes", {})
    alerting["routes"] = {category: _fast_route(route) for category, route in routes.items()}
    platform = dict(values.get("platform", {}))
    platform["driftJob"] = {**platform.get("driftJob", {}), "activeDeadline": MAX_FOR}
    return {
        **values,
        "monitoring": monitoring,
        "alerts": overrides,
        "alerting": alerting,
        "platform": platform,
        "drift": _fast_drift(values.get("drift", {})),
    }


def _fast_route(route: dict[str, Any]) -> dict[str, Any]:
    wait = Duration.parse(route.get("groupWait", str(Route.model_fields["group_wait"].default)))
    return {**route, **ROUTE_TIMING, "groupWait": str(between_evaluations(wait, Duration.parse(INTERVAL)))}


def _fast_drift(drift: dict[str, Any]) -> dict[str, Any]:
    fast = {**drift, **DRIFT}
    if drift.get("scheduler") == "airflow":
        fast["airflow"] = {**drift.get("airflow", {}), "retryDelay": AIRFLOW_RETRY_DELAY}
    return fast

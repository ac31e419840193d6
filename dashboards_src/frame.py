"""What every Vigie dashboard shares around its panels: identity, tags, folder, variables and links."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from grafanalib.core import Dashboard, DashboardLink, Template, Templating, Time

from conventions import dashboard_uids as uids
from conventions.promql import Scope
from dashboards_src import layout, style
from dashboards_src import variables as v
from infra.settings.types import BaseUrl
from rules_src.stack import RUNBOOK_INDEX

GRAFANA_FOLDER = "Vigie"
"""The Grafana folder the dashboards belong in; the Grafana provisioning reads it from here."""
SCHEMA_VERSION = 39
"""Grafana 10.4/11's dashboard schema, so Grafana loads the JSON as written instead of migrating it."""
TAG = "vigie"
SHARED_CROSSHAIR = 1
REFRESH_ON_LOAD = 1


@dataclass(frozen=True)
class Meta:
    """A dashboard's identity and defaults."""

    uid: str
    title: str
    tag: str
    description: str
    time_from: str
    """The default time range, back from now (Grafana syntax: now-3h)."""
    refresh: str
    timescale: str
    """'live' for dashboards of scraped service series, 'runs' for the weekly drift job's; links between two
    dashboards of the same timescale keep the time range the reader zoomed into."""


OPERATIONS = Meta(
    uid=uids.OPERATIONS,
    title="Vigie / Operations",
    tag="operations",
    description="The scoring service at a glance: traffic, errors, latency, CPU, autoscaling, model version, "
    "alerts.",
    time_from="now-3h",
    refresh="30s",
    timescale="live",
)
MODEL_BUSINESS = Meta(
    uid=uids.MODEL_BUSINESS,
    title="Vigie / Model and business",
    tag="model-business",
    description="What the model decides: accepted and rejected credits, refusal rate, score distribution, θ*.",
    time_from="now-24h",
    refresh="1m",
    timescale="live",
)
DRIFT = Meta(
    uid=uids.DRIFT,
    title="Vigie / Drift",
    tag="drift",
    description="The drift job's verdicts: data drift per feature, prediction drift, performance on labelled "
    "data.",
    time_from="now-30d",
    refresh="15m",
    timescale="runs",
)
ALL = (OPERATIONS, MODEL_BUSINESS, DRIFT)


def datasource_variable() -> Any:
    """The Prometheus datasource, defaulting to Grafana's default one."""
    return Template(
        name=v.DATASOURCE,
        label="Data source",
        type=v.DATASOURCE,
        query=v.PROMETHEUS,
        default="default",
        refresh=REFRESH_ON_LOAD,
    )


def _label_variable(name: str, label: str, query: str, default: str) -> Any:
    """A variable listing label values, so one dashboard can show any namespace or stack."""
    return Template(
        name=name,
        label=label,
        query=query,
        default=default,
        dataSource=style.datasource(),
        refresh=REFRESH_ON_LOAD,
    )


def scoring_variables(scope: Scope) -> list[Any]:
    """Datasource, namespace and application, defaulting to the stack's scoring service."""
    return [
        datasource_variable(),
        _label_variable(v.NAMESPACE, "Namespace", v.NAMESPACES, scope.namespace),
        _label_variable(v.APPLICATION, "Application", v.APPLICATIONS, scope.application),
    ]


def drift_variables(scope: Scope) -> list[Any]:
    """Datasource and the stack whose drift runs are shown, defaulting to this stack."""
    return [datasource_variable(), _label_variable(v.STACK, "Stack", v.STACKS, scope.stack)]


def links(runbooks: BaseUrl, meta: Meta) -> list[Any]:
    """Links to the other Vigie dashboards, carrying the variables (the datasource at least) and, on the same
    timescale, the time range; and a link to the runbooks."""
    others = [
        DashboardLink(
            type="link",
            title=other.title,
            uri=f"/d/{other.uid}",
            icon="dashboard",
            keepTime=other.timescale == meta.timescale,
            includeVars=True,
            tooltip=other.description,
        )
        for other in ALL
        if other.uid != meta.uid
    ]
    runbook_link = DashboardLink(
        type="link",
        title="Runbooks",
        uri=runbooks.join(RUNBOOK_INDEX),
        icon="doc",
        keepTime=False,
        targetBlank=True,
        tooltip="What to do when an alert fires",
    )
    return [*others, runbook_link]


def dashboard(runbooks: BaseUrl, meta: Meta, variables: list[Any], sections: Sequence[layout.Section]) -> Any:
    """A dashboard with the house frame around `sections`."""
    return Dashboard(
        uid=meta.uid,
        title=meta.title,
        description=meta.description,
        tags=[TAG, meta.tag],
        links=links(runbooks, meta),
        templating=Templating(list=variables),
        panels=layout.place(sections),
        time=Time(meta.time_from, "now"),
        refresh=meta.refresh,
        schemaVersion=SCHEMA_VERSION,
        graphTooltip=SHARED_CROSSHAIR,
        editable=False,
        timezone="utc",
    )

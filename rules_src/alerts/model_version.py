"""Model version: a replica serves a version other than the one the stack declares (seed §2.A)."""

from __future__ import annotations

from dashboards_src import uids
from rules_src.alert import AlertSpec, Category, Scenario, Scope, Severity, Unit, ValueFormat
from rules_src.alerts.scenarios import gauge
from serving import contract as c

MODEL_VERSION_FOR = "5m"  # long enough to ride out a rolling update


def _served_version(scope: Scope, threshold: float | None, breach: bool) -> Scenario:
    version = f"{scope.model_version}-unexpected" if breach else scope.model_version
    labels = {**scope.scoring_labels, c.MODEL_VERSION: version}
    series = gauge(c.MODEL_VERSION_INFO.name, {**labels, c.DEPLOYMENT: "CreditScorer", c.REPLICA: "r1"}, 1)
    return Scenario((series,), 1, labels, active_from=0)


MODEL_VERSION = AlertSpec(
    name="ModelVersionUnexpected",
    family="model-version",
    service="scoring",
    category=Category.SERVICE,
    severity=Severity.WARNING,
    unit=Unit.NONE,
    threshold=None,
    for_=MODEL_VERSION_FOR,
    expr="max by ({{ c.NAMESPACE }}, {{ c.APPLICATION }}, {{ c.MODEL_VERSION }}) "
    '({{ c.MODEL_VERSION_INFO.name }}{ {{- scope.scoring }},{{ c.MODEL_VERSION }}!="{{ scope.model_version }}"}) > 0',
    summary="Unexpected model version served",
    description="{application} in {namespace} serves model version {model_version}, not the version this "
    "stack declares, for {for_}.",
    value_format=ValueFormat.NONE,
    dashboard=uids.OPERATIONS,
    scenario=_served_version,
)

ALERTS = (MODEL_VERSION,)

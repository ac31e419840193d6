"""Model version: a replica serves a version other than the one the stack declares (seed §2.A)."""

from __future__ import annotations

from conventions import contract as c
from conventions import dashboard_uids as uids
from conventions import promql as p
from conventions.routing import Category, Severity
from rules_src.alert import AlertSpec, Scenario, Scope, Unit, ValueFormat
from rules_src.alerts.scenarios import gauge

MODEL_VERSION_FOR = "5m"  # long enough to ride out a rolling update


def _other_version_served(scope: Scope, threshold: float | None) -> p.Expr:
    """Replicas reporting a version other than the declared one, one series per version served."""
    info = scope.scoring(c.MODEL_VERSION_INFO.name, p.differs(c.MODEL_VERSION, scope.model_version))
    return p.gt(p.max(info, by=(*p.SERVICE, c.MODEL_VERSION)), 0)


def _served_version(scope: Scope, threshold: float | None, breach: bool) -> Scenario:
    version = f"{scope.model_version}-unexpected" if breach else scope.model_version
    labels = {**scope.scoring_labels, c.MODEL_VERSION: version}
    series = gauge(c.MODEL_VERSION_INFO.name, {**labels, c.DEPLOYMENT: "CreditScorer", c.REPLICA: "r1"}, 1)
    return Scenario((series,), 1, labels, active_from=0)


MODEL_VERSION = AlertSpec(
    name="ModelVersionUnexpected",
    family="model-version",
    service="scoring",
    category=Category.SERVICE_HEALTH,
    severity=Severity.WARNING,
    unit=Unit.NONE,
    threshold=None,
    for_=MODEL_VERSION_FOR,
    expr=_other_version_served,
    summary="Unexpected model version served",
    description="{application} in {namespace} serves model version {model_version}, not the version this "
    "stack declares, for {for_}.",
    value_format=ValueFormat.NONE,
    dashboard=uids.OPERATIONS,
    scenario=_served_version,
    impact="A replica serves another model version than the declared {model_version}: its decisions follow "
    "another model's scores and threshold θ*, and the drift alerts judge only the declared version.",
    causes=(
        "A rollout is stuck half-way: old replicas keep running next to new ones.",
        "model.artifactUri points at another model than the one declared in model.version (the artifact "
        "was replaced).",
        "model.version was bumped in the stack file without deploying the new model, or the other way round.",
    ),
    actions=(
        "Which versions are served, by how many replicas each (panel above)?",
        "Compare the stack file's vigie:model.version with the artifact's own version at model.artifactUri.",
        "Finish or roll back the rollout so that every replica serves the declared version.",
    ),
)

ALERTS = (MODEL_VERSION,)

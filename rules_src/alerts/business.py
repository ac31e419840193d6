"""Business: the refusal rate above 20 % signals a change of behaviour (seed §4 "Métrique Métier")."""

from __future__ import annotations

from dashboards_src import uids
from rules_src.alert import AlertSpec, Category, Scenario, Scope, Severity, Unit, ValueFormat
from rules_src.alerts.scenarios import STEP_REQUESTS, counter, nudge, split
from serving import contract as c

REFUSAL_RATE_THRESHOLD = 0.20  # "Taux de refus > 20%"
REFUSAL_RATE_FOR = "15m"


def _decisions(scope: Scope, threshold: float | None, breach: bool) -> Scenario:
    assert threshold is not None
    rejected, accepted = split(nudge(threshold, breach))
    labels = {**scope.scoring_labels, c.DEPLOYMENT: "CreditScorer", c.REPLICA: "r1", c.MODEL_VERSION: "v1"}
    series = (
        counter(c.ACCEPTED_CREDITS.name, labels, accepted),
        counter(c.REJECTED_CREDITS.name, labels, rejected),
    )
    return Scenario(series, rejected / STEP_REQUESTS, dict(scope.scoring_labels))


REFUSAL_RATE = AlertSpec(
    name="CreditRefusalRateHigh",
    family="business",
    service="scoring",
    category=Category.BUSINESS,
    severity=Severity.INFO,
    unit=Unit.RATIO,
    threshold=REFUSAL_RATE_THRESHOLD,
    for_=REFUSAL_RATE_FOR,
    expr="{{ c.REFUSAL_RATE.name }} > {{ threshold | num }}",
    summary="Credit refusal rate above {threshold}",
    description="{application} in {namespace} refused {value} of applications over the last 10 minutes, "
    "above {threshold} for {for_}.",
    value_format=ValueFormat.PERCENT,
    dashboard=uids.MODEL_BUSINESS,
    scenario=_decisions,
)

ALERTS = (REFUSAL_RATE,)

"""Business: the refusal rate above 20 % signals a change of behaviour (seed §4 "Métrique Métier")."""

from __future__ import annotations

from conventions import contract as c
from conventions import dashboard_uids as uids
from conventions import promql as p
from conventions.routing import Category, Severity
from rules_src.alert import AlertSpec, RecordingBuilder, Scenario, Scope, Unit, ValueFormat, recorded_above
from rules_src.alerts.scenarios import STEP_REQUESTS, counter, nudge, split

REFUSAL_RATE_THRESHOLD = 0.20  # "Taux de refus > 20%"
REFUSAL_RATE_FOR = "15m"
REFUSAL_WINDOW = "10m"
COUNT_WINDOW = "1h"
SCORE_WINDOW = "5m"


def _rate_per_service(scope: Scope, metric: str, window: str) -> p.Expr:
    """Per-second rate of the service's counter, summed over its replicas and model versions."""
    return p.sum(p.rate(scope.scoring(metric), window), by=p.SERVICE)


def _count(counter: c.Metric) -> RecordingBuilder:
    """How much the counter grew over the last hour."""

    def build(scope: Scope) -> p.Expr:
        return p.sum(p.increase(scope.scoring(counter.name), COUNT_WINDOW), by=p.SERVICE)

    return build


def _score_mean(scope: Scope) -> p.Expr:
    total = _rate_per_service(scope, c.SCORE.sum, SCORE_WINDOW)
    return p.div(total, _rate_per_service(scope, c.SCORE.count, SCORE_WINDOW), multiline=True)


def _refusal_rate(scope: Scope) -> p.Expr:
    """Rejected over all decisions: the service counts accepted and rejected applications apart."""
    rejected = _rate_per_service(scope, c.REJECTED_CREDITS.name, REFUSAL_WINDOW)
    accepted = _rate_per_service(scope, c.ACCEPTED_CREDITS.name, REFUSAL_WINDOW)
    return p.div(rejected, p.add(rejected, accepted, multiline=True), multiline=True)


RECORDINGS: dict[c.Recording, RecordingBuilder] = {
    c.ACCEPTED_COUNT: _count(c.ACCEPTED_CREDITS),
    c.REJECTED_COUNT: _count(c.REJECTED_CREDITS),
    c.SCORE_MEAN: _score_mean,
    c.REFUSAL_RATE: _refusal_rate,
}


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
    expr=recorded_above(c.REFUSAL_RATE),
    summary="Credit refusal rate above {threshold}",
    description="{application} in {namespace} refused {value} of applications over the last 10 minutes, "
    "above {threshold} for {for_}.",
    value_format=ValueFormat.PERCENT,
    dashboard=uids.MODEL_BUSINESS,
    scenario=_decisions,
    impact="More than {threshold} of applications are refused: either applicants changed, or the model does, and "
    "the business loses good customers. Nothing is broken technically; it is a change in behaviour to "
    "explain.",
    causes=(
        "A shift in who applies (a campaign, a new channel, a season) that the model scores as riskier.",
        "Data drift in the features (see DataDriftDetected and PredictionDriftDetected on the last drift "
        "run).",
        "A new model version or decision threshold θ* was rolled out.",
        "A caller sends degraded data (missing external scores defaulted to a risky value).",
    ),
    actions=(
        "Did the mean score move, or θ* (panels above)?",
        "Split the decisions by model version: did the rise start with a new version?",
        "Run the drift job now (`vigie drift run --stack {stack} --pushgateway …`) to see which features "
        "drifted.",
        "Tell the credit-risk team what changed; this alert never needs an immediate fix.",
    ),
    related=(c.SCORE_MEAN.name, c.DECISION_THRESHOLD.name, c.ACCEPTED_CREDITS.name),
)

ALERTS = (REFUSAL_RATE,)

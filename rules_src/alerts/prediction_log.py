"""The prediction log: scored applications missing from it warn, since drift runs and the label join then read
a thinned log (issue 15).

The replicas count the applications they score (accepted and rejected) and the records the log writes as
Parquet. A gap between them has three causes: the writer's lag, records the log dropped (counted apart, and
in the gap), and records lost with a node or pod (uncounted anywhere else; the spool makes a replica process
crash lose none). The lag is not a loss: a record waits at most flushInterval before it is written, so the
scored applications are read over the window that ends flushInterval earlier than the written records'.
Without that offset, a service that has just started (its window holding only its first minutes) shows its
lag as a gap: 10 s of lag is 1.1 % of its first 15 minutes, past the threshold by the end of `for`. A replica that dies takes its series with it: increase() still counts what its series grew within the
window, and the records it left in the spool are counted as written by the replica that replays them.

One lost node stays within the durability bound (flushRows or flushInterval of traffic per replica), which is
below 1 % of 30 minutes at the defaults: the warning is for a log losing more than its contract allows, a
writer that stopped, storage failing for long, or losses that repeat. The `for` rides out the lag after a
traffic change.
"""

from __future__ import annotations

from conventions import contract as c
from conventions import dashboard_uids as uids
from conventions import promql as p
from conventions.durations import duration_seconds
from conventions.routing import Category, Severity
from rules_src.alert import AlertSpec, RecordingBuilder, Scenario, Scope, Unit, ValueFormat, recorded_above
from rules_src.alerts.scenarios import STEP_REQUESTS, counter, nudge, split, trailing

GAP_THRESHOLD = 0.01
GAP_FOR = "15m"
GAP_WINDOW = "30m"
SCORED = (c.ACCEPTED_CREDITS, c.REJECTED_CREDITS)


def _increase(scope: Scope, metric: c.Metric, offset: str = "") -> p.Expr:
    """How much the service's counter grew over the window (ending `offset` ago), summed over its replicas,
    live and gone."""
    return p.sum(p.increase(scope.scoring(metric.name), GAP_WINDOW, offset), by=p.SERVICE)


def _missing_share(scope: Scope) -> p.Expr:
    """(scored - written) / scored, where scored = accepted + rejected, read the writer's lag earlier."""
    scored = p.add(*(_increase(scope, m, scope.log_lag) for m in SCORED), multiline=True)
    missing = p.sub(scored, _increase(scope, c.PREDICTION_LOG_WRITTEN), multiline=True)
    return p.div(missing, scored, multiline=True)


RECORDINGS: dict[c.Recording, RecordingBuilder] = {c.PREDICTION_LOG_GAP: _missing_share}


def _replica(scope: Scope, replica: str) -> dict[str, str]:
    return {**scope.scoring_labels, c.DEPLOYMENT: "CreditScorer", c.REPLICA: replica}


def _logged(scope: Scope, threshold: float | None, breach: bool) -> Scenario:
    """Two replicas of a service that has just started share the traffic; the log writes all but a share just
    over (or under) the threshold, and trails its scoring by the longest lag it may have (flushInterval): the
    offset must keep that lag from counting as a gap (without it, the quiet case fires)."""
    assert threshold is not None
    missing, written = split(nudge(threshold, breach))
    rejected, accepted = split(0.2)
    lag = duration_seconds(scope.log_lag)
    series = []
    for replica, share in (("r1", 0.5), ("r2", 0.5)):
        labels = _replica(scope, replica)
        decided = {**labels, c.MODEL_VERSION: "v1"}
        series += [
            counter(c.ACCEPTED_CREDITS.name, decided, round(accepted * share)),
            counter(c.REJECTED_CREDITS.name, decided, round(rejected * share)),
            trailing(c.PREDICTION_LOG_WRITTEN.name, labels, round(written * share), lag),
        ]
    return Scenario(tuple(series), missing / STEP_REQUESTS, dict(scope.scoring_labels))


PREDICTION_LOG_GAP = AlertSpec(
    name="PredictionLogGap",
    family="prediction-log",
    service="scoring",
    category=Category.SERVICE_HEALTH,
    severity=Severity.WARNING,
    unit=Unit.RATIO,
    threshold=GAP_THRESHOLD,
    for_=GAP_FOR,
    expr=recorded_above(c.PREDICTION_LOG_GAP),
    summary="Prediction log missing more than {threshold} of scored applications",
    description="{value} of the applications {application} in {namespace} scored over the last 30 minutes "
    "are missing from the prediction log, above {threshold} for {for_}: the log dropped or lost records "
    "(see the dropped and write-failure counters), so drift runs and the label join read a thinned log.",
    value_format=ValueFormat.PERCENT,
    dashboard=uids.OPERATIONS,
    scenario=_logged,
    impact="More than {threshold} of scored applications are missing from the prediction log: the drift job's "
    "window and the join with delayed labels read a thinned, possibly biased log, so drift and "
    "performance verdicts weaken.",
    causes=(
        "The log's store (predictionLog.uri: the data volume or object storage) refuses writes: full, "
        "read-only, credentials expired.",
        "The writer dropped records beyond serving.predictionLog.maxUnwrittenRows (reason `overflow`).",
        "Worker pods or nodes were lost repeatedly, each taking up to flushRows records or flushInterval "
        "of traffic.",
        "A torn spool frame after a killed writer (reason `torn_spool`).",
    ),
    actions=(
        "Read the log's write failures and its dropped records by reason (panels above).",
        "Read the replicas' logs for the writer's errors; check the volume's free space or the bucket's "
        "access.",
        "Once writes succeed again, the spool replays what it holds; records dropped or lost stay lost.",
    ),
    related=(c.PREDICTION_LOG_DROPPED.name,),
)

ALERTS = (PREDICTION_LOG_GAP,)

"""The run's metrics on the Pushgateway, grouped by job (contract.DRIFT_PUSH_JOB) and stack. A success replaces
the whole group (PUT), whatever model version its verdicts carry; a failure only adds its status (POST), so the
last success's timestamp survives."""

from __future__ import annotations

import urllib.error

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway, pushadd_to_gateway

from conventions import contract as c
from conventions.contract import Metric
from drift_jobs.errors import DriftJobError, shown
from drift_jobs.job_result import Analysis
from drift_jobs.performance import MaturedCohort, Performance
from drift_jobs.storage import reason

PUSH_TIMEOUT_SECONDS = 10.0
REFERENCE = "reference"
CURRENT = "current"
"""Values of the `dataset` label of vigie_drift_rows."""


class _Verdicts:
    """The gauges of one push. Every verdict carries the model version the run judged, so rules only read the
    verdict of the version the stack declares; the status metrics carry none (a run can fail before it reads
    the artifact)."""

    def __init__(self, model_version: str) -> None:
        self.registry = CollectorRegistry()
        self.model_version = model_version
        self._gauges: dict[str, Gauge] = {}

    def set(self, metric: Metric, value: float, **labels: str) -> None:
        if c.MODEL_VERSION in metric.labels:
            labels = {c.MODEL_VERSION: self.model_version, **labels}
        gauge = self._gauges.get(metric.name)
        if gauge is None:
            gauge = self._gauges[metric.name] = _gauge(self.registry, metric)
        (gauge.labels(**labels) if labels else gauge).set(value)


def push_success(gateway: str, stack: str, analysis: Analysis, ended_at: float) -> None:
    push = _Verdicts(analysis.metadata.version)
    _status(push, success=True, ended_at=ended_at)
    push.set(c.DRIFT_MODEL_VERSION_INFO, 1)
    _data_drift(push, analysis)
    _prediction_drift(push, analysis)
    _performance(push, analysis)
    _matured(push, analysis.matured)
    push.set(c.DRIFT_ROWS, analysis.rows.reference_tested, **{c.DATASET: REFERENCE})
    push.set(c.DRIFT_ROWS, analysis.rows.current_tested, **{c.DATASET: CURRENT})
    push.set(c.DRIFT_INSUFFICIENT_DATA, 0)
    _push(gateway, stack, push.registry, replace=True)


def push_insufficient(
    gateway: str, stack: str, model_version: str, current_rows: int, ended_at: float
) -> None:
    """A run that worked but drew no verdict: the previous verdicts are replaced, not left to look current."""
    push = _Verdicts(model_version)
    _status(push, success=True, ended_at=ended_at)
    push.set(c.DRIFT_MODEL_VERSION_INFO, 1)
    push.set(c.DRIFT_INSUFFICIENT_DATA, 1)
    push.set(c.DRIFT_ROWS, current_rows, **{c.DATASET: CURRENT})
    _push(gateway, stack, push.registry, replace=True)


def push_failure(gateway: str, stack: str, ended_at: float) -> None:
    push = _Verdicts("")
    _status(push, success=False, ended_at=ended_at)
    _push(gateway, stack, push.registry, replace=False)


def _status(push: _Verdicts, success: bool, ended_at: float) -> None:
    push.set(c.DRIFT_LAST_RUN_SUCCESS, 1 if success else 0)
    push.set(c.DRIFT_LAST_RUN_TIMESTAMP, ended_at)
    if success:
        push.set(c.DRIFT_LAST_SUCCESS_TIMESTAMP, ended_at)


def _data_drift(push: _Verdicts, analysis: Analysis) -> None:
    data = analysis.data
    push.set(c.DRIFT_SHARE, data.share)
    push.set(c.DRIFT_DRIFTED_FEATURES, len(data.drifted_important))
    push.set(c.DRIFT_IMPORTANT_FEATURES, len(data.important))
    for feature in data.features:
        labels = {c.FEATURE: feature.name, c.TEST: feature.method}
        push.set(c.DRIFT_FEATURE_STATISTIC, feature.statistic, **labels)
        push.set(c.DRIFT_FEATURE_P_VALUE, feature.p_value, **labels)
        push.set(c.DRIFT_FEATURE_DRIFTED, 1 if feature.drifted else 0, **labels)


def _prediction_drift(push: _Verdicts, analysis: Analysis) -> None:
    push.set(c.PREDICTION_DRIFT_STATISTIC, analysis.prediction.statistic)
    push.set(c.PREDICTION_DRIFT_P_VALUE, analysis.prediction.p_value)
    push.set(c.PREDICTION_DRIFT_DETECTED, 1 if analysis.prediction.drifted else 0)


def _performance(push: _Verdicts, analysis: Analysis) -> None:
    """The reference's cost always (both cohorts compare with it); the window's once it has labels."""
    push.set(c.REFERENCE_BUSINESS_COST, analysis.reference_business_cost)
    _cost_and_auc(push, analysis.performance, c.BUSINESS_COST, c.AUC)


def _matured(push: _Verdicts, matured: MaturedCohort) -> None:
    """The cohort's labelled rows always, so a thin cohort shows as such; its cost only once it is judged."""
    push.set(c.MATURED_LABELLED_ROWS, matured.labelled)
    _cost_and_auc(push, matured.performance, c.MATURED_BUSINESS_COST, c.MATURED_AUC)


def _cost_and_auc(push: _Verdicts, performance: Performance | None, cost: Metric, auc: Metric) -> None:
    """A cohort's cost and AUC once it is judged (the AUC needs both classes among its labels)."""
    if performance is None:
        return
    push.set(cost, performance.business_cost)
    if performance.auc is not None:
        push.set(auc, performance.auc)


def _gauge(registry: CollectorRegistry, metric: Metric) -> Gauge:
    """A gauge of the contract; job and stack come from the grouping key, not from the series."""
    labels = [name for name in metric.labels if name not in (c.JOB, c.STACK)]
    return Gauge(metric.name, metric.help, labelnames=labels, registry=registry)


def _push(gateway: str, stack: str, registry: CollectorRegistry, replace: bool) -> None:
    send = push_to_gateway if replace else pushadd_to_gateway
    try:
        send(gateway, c.DRIFT_PUSH_JOB, registry, {c.STACK: stack}, timeout=PUSH_TIMEOUT_SECONDS)
    except urllib.error.HTTPError as error:
        raise DriftJobError(
            f"pushgateway {shown(gateway)}: push refused (HTTP {error.code} {error.reason})"
        ) from None
    except urllib.error.URLError as error:
        raise DriftJobError(f"pushgateway {shown(gateway)}: unreachable ({reason(error.reason)})") from None
    except OSError as error:
        raise DriftJobError(f"pushgateway {shown(gateway)}: push refused ({reason(error)})") from None

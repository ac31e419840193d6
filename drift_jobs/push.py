"""The run's metrics on the Pushgateway, grouped by job (contract.DRIFT_PUSH_JOB) and stack. A success replaces
the whole group (PUT); a failure only adds its status (POST), so the last success's timestamp survives."""

from __future__ import annotations

import urllib.error

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway, pushadd_to_gateway

from conventions import contract as c
from conventions.contract import Metric
from drift_jobs.errors import DriftJobError, shown
from drift_jobs.job_result import Analysis
from drift_jobs.storage import reason

PUSH_TIMEOUT_SECONDS = 10.0
REFERENCE = "reference"
CURRENT = "current"
"""Values of the `dataset` label of vigie_drift_rows."""


def push_success(gateway: str, stack: str, analysis: Analysis, ended_at: float) -> None:
    registry = CollectorRegistry()
    _status(registry, success=True, ended_at=ended_at)
    _data_drift(registry, analysis)
    _prediction_drift(registry, analysis)
    _performance(registry, analysis)
    rows = _gauge(registry, c.DRIFT_ROWS)
    rows.labels(**{c.DATASET: REFERENCE}).set(analysis.rows.reference_tested)
    rows.labels(**{c.DATASET: CURRENT}).set(analysis.rows.current_tested)
    _gauge(registry, c.DRIFT_INSUFFICIENT_DATA).set(0)
    _push(gateway, stack, registry, replace=True)


def push_insufficient(gateway: str, stack: str, current_rows: int, ended_at: float) -> None:
    """A run that worked but drew no verdict: the previous verdicts are replaced, not left to look current."""
    registry = CollectorRegistry()
    _status(registry, success=True, ended_at=ended_at)
    _gauge(registry, c.DRIFT_INSUFFICIENT_DATA).set(1)
    _gauge(registry, c.DRIFT_ROWS).labels(**{c.DATASET: CURRENT}).set(current_rows)
    _push(gateway, stack, registry, replace=True)


def push_failure(gateway: str, stack: str, ended_at: float) -> None:
    registry = CollectorRegistry()
    _status(registry, success=False, ended_at=ended_at)
    _push(gateway, stack, registry, replace=False)


def _status(registry: CollectorRegistry, success: bool, ended_at: float) -> None:
    _gauge(registry, c.DRIFT_LAST_RUN_SUCCESS).set(1 if success else 0)
    _gauge(registry, c.DRIFT_LAST_RUN_TIMESTAMP).set(ended_at)
    if success:
        _gauge(registry, c.DRIFT_LAST_SUCCESS_TIMESTAMP).set(ended_at)


def _data_drift(registry: CollectorRegistry, analysis: Analysis) -> None:
    data = analysis.data
    _gauge(registry, c.DRIFT_SHARE).set(data.share)
    _gauge(registry, c.DRIFT_DRIFTED_FEATURES).set(len(data.drifted_important))
    _gauge(registry, c.DRIFT_IMPORTANT_FEATURES).set(len(data.important))
    statistic = _gauge(registry, c.DRIFT_FEATURE_STATISTIC)
    p_value = _gauge(registry, c.DRIFT_FEATURE_P_VALUE)
    drifted = _gauge(registry, c.DRIFT_FEATURE_DRIFTED)
    for feature in data.features:
        labels = {c.FEATURE: feature.name, c.TEST: feature.method}
        statistic.labels(**labels).set(feature.statistic)
        p_value.labels(**labels).set(feature.p_value)
        drifted.labels(**labels).set(1 if feature.drifted else 0)


def _prediction_drift(registry: CollectorRegistry, analysis: Analysis) -> None:
    _gauge(registry, c.PREDICTION_DRIFT_STATISTIC).set(analysis.prediction.statistic)
    _gauge(registry, c.PREDICTION_DRIFT_P_VALUE).set(analysis.prediction.p_value)
    _gauge(registry, c.PREDICTION_DRIFT_DETECTED).set(1 if analysis.prediction.drifted else 0)


def _performance(registry: CollectorRegistry, analysis: Analysis) -> None:
    performance = analysis.performance
    if performance is None:
        return
    _gauge(registry, c.BUSINESS_COST).set(performance.business_cost)
    _gauge(registry, c.REFERENCE_BUSINESS_COST).set(performance.reference_business_cost)
    if performance.auc is not None:
        _gauge(registry, c.AUC).set(performance.auc)


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

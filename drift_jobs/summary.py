"""The run's JSON summary: the verdicts, every test and the rows behind them, beside the HTML reports."""

from __future__ import annotations

import json
import math
from typing import Any

from drift_jobs.config import JobConfig, iso
from drift_jobs.job_result import Analysis
from drift_jobs.performance import Confusion, MaturedCohort, Performance

SUMMARY_FILE = "Drift_Summary.json"


def summary(config: JobConfig, analysis: Analysis, reports: list[str]) -> dict[str, Any]:
    data, prediction = analysis.data, analysis.prediction
    return {
        "stack": config.stack,
        "run": config.run_id,
        "window": {
            "start": iso(config.window_start),
            "end": iso(config.window_end),
            "length": str(config.drift.window),
        },
        "model": {"version": analysis.metadata.version, "threshold": analysis.metadata.threshold},
        "settings": {
            "p_value": config.drift.p_value,
            "drift_share_threshold": config.share_threshold,
            "important_features": config.drift.important_features,
            "sample_size": config.drift.sample_size,
            "report_rows": config.drift.report_rows,
            "label_delay": str(config.drift.label_delay),
            "min_labelled_rows": config.drift.min_labelled_rows,
            "cost_increase_threshold": config.cost_increase_threshold,
        },
        "rows": vars(analysis.rows),
        "data_drift": {
            "detected": data.detected,
            "share": data.share,
            "important": [f.name for f in data.important],
            "drifted_important": [f.name for f in data.drifted_important],
            "features": [
                {
                    "name": f.name,
                    "method": f.method,
                    "statistic": _finite(f.statistic),
                    "p_value": f.p_value,
                    "drifted": f.drifted,
                    "important": f.important,
                }
                for f in data.features
            ],
        },
        "prediction_drift": {
            "method": "ks",
            "statistic": prediction.statistic,
            "p_value": prediction.p_value,
            "drifted": prediction.drifted,
        },
        "performance": _performance(config, analysis.performance),
        "matured_performance": _matured(config, analysis.matured),
        "reports": reports,
    }


def summary_json(config: JobConfig, analysis: Analysis, reports: list[str]) -> str:
    return json.dumps(summary(config, analysis, reports), indent=2, sort_keys=True, allow_nan=False) + "\n"


def _performance(config: JobConfig, performance: Performance | None) -> dict[str, Any] | None:
    if performance is None:
        return None
    return {
        "threshold": performance.threshold,
        "cost_false_negative": config.cost_false_negative,
        "cost_false_positive": config.cost_false_positive,
        "business_cost": performance.business_cost,
        "reference_business_cost": performance.reference_business_cost,
        "auc": performance.auc,
        "reference_auc": performance.reference_auc,
        "confusion": _confusion(performance.current),
        "reference_confusion": _confusion(performance.reference),
    }


def _matured(config: JobConfig, matured: MaturedCohort) -> dict[str, Any]:
    """The matured cohort, always: its window and labelled rows, and either its performance against the
    reference or `insufficient_labels` (never a silent "no degradation")."""
    increase = matured.cost_increase
    return {
        "window": {"start": iso(matured.start), "end": iso(matured.end)},
        "labelled_rows": matured.labelled,
        "min_labelled_rows": matured.needed,
        "insufficient_labels": matured.performance is None,
        "degraded": matured.degraded,
        "cost_increase": None if increase is None else _finite(increase),
        "cost_increase_threshold": matured.threshold,
        "performance": _performance(config, matured.performance),
    }


def _confusion(counts: Confusion) -> dict[str, int]:
    return {
        "true_positives": counts.true_positives,
        "false_positives": counts.false_positives,
        "true_negatives": counts.true_negatives,
        "false_negatives": counts.false_negatives,
    }


def _finite(value: float) -> float | None:
    """JSON has no infinity: a chi-square statistic is infinite when a category is new (its p-value is 0)."""
    return value if math.isfinite(value) else None

"""One drift run: read the reference and the window, run the three analyses, push the metrics, then publish the
reports. Any failure pushes the failed status where it can and reaches the operator as one line."""

from __future__ import annotations

import contextlib
import importlib
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from conventions.artifact_format import LABEL, REFERENCE_FILE, SCORE
from drift_jobs.config import JobConfig, iso
from drift_jobs.data_drift import data_drift
from drift_jobs.errors import DriftJobError, shown
from drift_jobs.job_result import Analysis, ReportRows, Rows
from drift_jobs.model_artifact import ModelArtifact, read_model_artifact
from drift_jobs.performance import MaturedCohort, Performance, confusion, performance
from drift_jobs.prediction_drift import prediction_drift
from drift_jobs.prediction_log import Window, labelled, read_cohort, read_labels, read_window
from drift_jobs.progress import Progress
from drift_jobs.publish import publish
from drift_jobs.push import push_failure, push_insufficient, push_success
from drift_jobs.sampling import CURRENT_SEED, REFERENCE_SEED, sample_rows
from drift_jobs.schema_checks import check_has_values
from drift_jobs.storage import join
from drift_jobs.summary import SUMMARY_FILE, summary_json


@dataclass(frozen=True)
class Thin:
    """A window too thin for a verdict: its rows, the fewest drift.minRows asks for, and the model version
    whose verdicts it replaces."""

    rows: int
    needed: int
    model_version: str


@dataclass(frozen=True)
class Outcome:
    analysis: Analysis
    folder: str
    """Where the reports were published."""


REPORTS_MODULE = "drift_jobs.reports"
UNPUSHED_SUFFIX = ".unpushed"
"""The folder of a run whose metrics could not be pushed: <run><suffix>, never mistaken for a published run."""


def run(config: JobConfig, progress: Progress) -> Outcome | Thin:
    """The run's verdicts and reports, or, for a window too thin to judge, why none were drawn."""
    _start_importing(REPORTS_MODULE)
    with warnings.catch_warnings():
        # scipy notes each time its exact KS p-value falls back to the asymptotic one (p-values near 0), in
        # Evidently's tests as in ours: the value is right, and the notice would fill every run's log
        warnings.filterwarnings("ignore", "ks_2samp: Exact calculation unsuccessful", RuntimeWarning)
        try:
            return _run(config, progress)
        except Exception:
            _push_failed_status(config, progress)
            raise


def _start_importing(module: str) -> None:
    """Evidently takes about 3 s to import, as long as reading and testing a million rows: import the reports
    module on the other core meanwhile. Importing it again waits for this; an error here is raised there."""

    def load() -> None:
        with contextlib.suppress(Exception):
            importlib.import_module(module)

    threading.Thread(target=load, name=f"import {module}").start()


def _run(config: JobConfig, progress: Progress) -> Outcome | Thin:
    analysed = analyse(config, progress)
    if isinstance(analysed, Thin):
        with progress.stage("pushing the metrics"):
            push_insufficient(
                config.pushgateway, config.stack, analysed.model_version, analysed.rows, ended_at=time.time()
            )
        return analysed
    analysis, report_rows = analysed
    with progress.stage("writing the reports"), tempfile.TemporaryDirectory(prefix="vigie-drift-") as staged:
        from drift_jobs.reports import (  # see _start_importing
            MATURED_PERFORMANCE_REPORT,
            PERFORMANCE_REPORT,
            write_reports,
        )

        folder = Path(staged)
        reports = write_reports(folder, report_rows, analysis.metadata, analysis.data)
        if analysis.performance is not None and PERFORMANCE_REPORT not in reports:
            progress.log("the labelled rows hold one class only: no performance report")
        if analysis.matured.performance is not None and MATURED_PERFORMANCE_REPORT not in reports:
            progress.log("the matured cohort's labels hold one class only: no matured performance report")
        (folder / SUMMARY_FILE).write_text(summary_json(config, analysis, [*reports, SUMMARY_FILE]))
        _push_verdicts(config, progress, analysis, folder)
        with progress.stage("publishing the reports"):
            published = publish(folder, config.reports_uri, config.stack, config.run_id)
    return Outcome(analysis, published)


def _push_verdicts(config: JobConfig, progress: Progress, analysis: Analysis, staged: Path) -> None:
    """The metrics go first: they are what alerts read, so the reports of a run are published only once its
    verdicts are pushed. When the push fails, the reports are kept beside the runs, in a folder named for the
    failure, for whoever investigates, and the error says where."""
    try:
        with progress.stage("pushing the metrics"):
            push_success(config.pushgateway, config.stack, analysis, ended_at=time.time())
    except DriftJobError as error:
        kept = publish(staged, config.reports_uri, config.stack, config.run_id + UNPUSHED_SUFFIX)
        raise DriftJobError(f"{error}; reports not published, kept in {shown(kept)}") from None


def analyse(config: JobConfig, progress: Progress) -> tuple[Analysis, ReportRows] | Thin:
    """The three analyses, and the rows the reports draw from (the whole window is released on return); or,
    when the window holds fewer rows than drift.minRows, why no verdict can be drawn."""
    drift = config.drift
    with progress.stage("reading the model artifact"):
        artifact = read_model_artifact(config.model_uri)
    with progress.stage("reading the labels"):
        labels = read_labels(config.log_uri)
    window = Window(config.window_start, config.window_end)
    with progress.stage(f"reading the prediction log, window {window}"):
        current = read_window(
            config.log_uri, window, artifact.metadata.features, request_ids=labels is not None
        )
    progress.log(f"{current.num_rows:,} rows in the window, {artifact.reference.num_rows:,} in the reference")
    if current.num_rows < drift.min_rows:
        return Thin(current.num_rows, drift.min_rows, artifact.metadata.version)
    features = [f.name for f in artifact.metadata.features]
    reference_source = shown(join(config.model_uri, REFERENCE_FILE))
    reference_tested = _sample(
        artifact.reference, drift.sample_size, REFERENCE_SEED, reference_source, features
    )
    current_source = f"{shown(config.log_uri)} window {window}"
    current_tested = _sample(current, drift.sample_size, CURRENT_SEED, current_source, features)
    with progress.stage(f"testing {len(features)} features"):
        data = data_drift(
            reference_tested,
            current_tested,
            artifact.metadata,
            drift.important_features,
            drift.p_value,
            config.share_threshold,
            progress.each,
        )
    with_labels = None if labels is None else labelled(current, labels)
    if with_labels is None or with_labels.num_rows == 0:
        progress.log("no true labels for the window yet: performance is not assessed")
        with_labels = None
    cohort = Window(config.cohort_start, config.cohort_end)
    with progress.stage(f"reading the matured cohort, window {cohort}"):
        matured, matured_rows = _matured(config, artifact, labels, cohort)
    rows = ReportRows(
        reference=sample_rows(reference_tested, drift.report_rows, REFERENCE_SEED),
        current=sample_rows(current_tested, drift.report_rows, CURRENT_SEED),
        labelled_reference=sample_rows(artifact.reference, drift.report_rows, REFERENCE_SEED),
        labelled=None if with_labels is None else sample_rows(with_labels, drift.report_rows, CURRENT_SEED),
        matured=None if matured_rows is None else sample_rows(matured_rows, drift.report_rows, CURRENT_SEED),
    )
    analysis = Analysis(
        metadata=artifact.metadata,
        rows=_rows(artifact, current, reference_tested, current_tested, rows, with_labels),
        data=data,
        prediction=prediction_drift(reference_tested, current_tested, drift.p_value),
        performance=None if with_labels is None else _performance(config, artifact, with_labels),
        matured=matured,
        reference_business_cost=_reference_cost(config, artifact),
    )
    return analysis, rows


def _sample(table: pa.Table, size: int, seed: int, source: str, features: list[str]) -> pa.Table:
    """The rows the tests compare; each column must keep a value to test."""
    tested = sample_rows(table, size, seed)
    if tested.num_rows < table.num_rows:
        check_has_values(f"{source}, {tested.num_rows:,} rows sampled", tested, [*features, SCORE])
    return tested


def _performance(config: JobConfig, artifact: ModelArtifact, with_labels: pa.Table) -> Performance:
    threshold = artifact.metadata.threshold
    costs = config.cost_false_negative, config.cost_false_positive
    return performance(with_labels, artifact.reference, threshold, *costs)


def _reference_cost(config: JobConfig, artifact: ModelArtifact) -> float:
    reference = artifact.reference
    counts = confusion(
        reference.column(SCORE).to_numpy(), reference.column(LABEL).to_numpy(), artifact.metadata.threshold
    )
    return counts.cost(config.cost_false_negative, config.cost_false_positive)


def _matured(
    config: JobConfig, artifact: ModelArtifact, labels: pa.Table | None, cohort: Window
) -> tuple[MaturedCohort, pa.Table | None]:
    """The cohort's labelled predictions by the judged model version, and its performance when they are at
    least drift.minLabelledRows; the rows are returned for the report only when judged."""
    version = artifact.metadata.version
    if labels is None:
        with_labels = None
    else:
        predictions = read_cohort(config.log_uri, cohort, artifact.metadata.features, version)
        with_labels = labelled(predictions, labels)
    count = 0 if with_labels is None else with_labels.num_rows
    needed = config.drift.min_labelled_rows
    performance = None
    if with_labels is not None and count >= needed:
        performance = _performance(config, artifact, with_labels)
    matured = MaturedCohort(
        start=cohort.start,
        end=cohort.end,
        labelled=count,
        needed=needed,
        threshold=config.cost_increase_threshold,
        performance=performance,
    )
    return matured, with_labels if performance is not None else None


def _matured_line(matured: MaturedCohort) -> str:
    """The matured cohort's verdict in one line: degraded or not, or why it was not judged."""
    window = f"matured cohort {iso(matured.start)}..{iso(matured.end)}"
    performance = matured.performance
    if performance is None:
        return (
            f"{window}: insufficient labels: {matured.labelled:,} labelled rows, fewer than "
            f"drift.minLabelledRows ({matured.needed:,}); performance not judged"
        )
    increase = matured.cost_increase
    assert increase is not None
    compare = ">" if matured.degraded else "≤"
    auc = "undefined (one class)" if performance.auc is None else f"{performance.auc:.3f}"
    return (
        f"{window}: {matured.labelled:,} labelled rows, cost {performance.business_cost:.4f} per application "
        f"(reference {performance.reference_business_cost:.4f}, {increase:+.0%} {compare} +{matured.threshold:.0%}): "
        + ("DEGRADED" if matured.degraded else "not degraded")
        + f", AUC {auc}"
    )


def _rows(
    artifact: ModelArtifact,
    current: pa.Table,
    reference_tested: pa.Table,
    current_tested: pa.Table,
    report: ReportRows,
    with_labels: pa.Table | None,
) -> Rows:
    return Rows(
        reference=artifact.reference.num_rows,
        current=current.num_rows,
        reference_tested=reference_tested.num_rows,
        current_tested=current_tested.num_rows,
        reference_report=report.reference.num_rows,
        current_report=report.current.num_rows,
        labelled=0 if with_labels is None else with_labels.num_rows,
    )


def _push_failed_status(config: JobConfig, progress: Progress) -> None:
    """Best effort: the run's own error is what the operator must see, even when the Pushgateway is down too."""
    try:
        push_failure(config.pushgateway, config.stack, ended_at=time.time())
    except DriftJobError as error:
        progress.log(f"could not push the failed status: {error}")
    else:
        progress.log("pushed the failed status")


def verdict(config: JobConfig, outcome: Outcome | Thin) -> str:
    """What the run found, in a few lines for the person or the log that ran it."""
    if isinstance(outcome, Thin):
        return (
            f"stack {config.stack}, window {iso(config.window_start)}..{iso(config.window_end)}: insufficient "
            f"data: {outcome.rows:,} rows, fewer than drift.minRows ({outcome.needed:,}); no verdict drawn "
            "and no reports written"
        )
    analysis = outcome.analysis
    data, prediction = analysis.data, analysis.prediction
    compare = ">" if data.detected else "≤"
    lines = [
        f"stack {config.stack}, window {iso(config.window_start)}..{iso(config.window_end)}, "
        f"model {analysis.metadata.version}: {analysis.rows.current_tested:,} of {analysis.rows.current:,} rows "
        f"tested against {analysis.rows.reference_tested:,} reference rows",
        f"data drift: {len(data.drifted_important)}/{len(data.important)} important features drifted "
        f"({data.share:.0%} {compare} {config.share_threshold:.0%}): "
        + ("DETECTED" if data.detected else "not detected")
        + (f" [{', '.join(f.name for f in data.drifted_important)}]" if data.drifted_important else ""),
        f"prediction drift: KS {prediction.statistic:.4f}, p-value {prediction.p_value:.3g}: "
        + ("drifted" if prediction.drifted else "no drift"),
    ]
    performance = analysis.performance
    if performance is None:
        lines.append("performance: no true labels for the window yet")
    else:
        auc = "undefined (one class)" if performance.auc is None else f"{performance.auc:.3f}"
        lines.append(
            f"performance on {analysis.rows.labelled:,} labelled rows at θ*={performance.threshold:g}: "
            f"cost {performance.business_cost:.4f} per application (reference {performance.reference_business_cost:.4f}), "
            f"AUC {auc}"
        )
    lines.append(_matured_line(analysis.matured))
    lines.append(f"reports: {shown(outcome.folder)}")
    return "\n".join(lines)

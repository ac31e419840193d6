"""`vigie drift run`: one drift run of a stack, as the CronJob runs it and as anyone can run it locally."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from drift_jobs.config import JobConfig, iso, job_config, parse_now
from drift_jobs.errors import DriftJobError, shown
from drift_jobs.progress import Progress
from infra.settings import load_stack

if TYPE_CHECKING:
    from drift_jobs.job import Outcome


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    drift = commands.add_parser("drift", help="the Evidently drift job")
    actions = drift.add_subparsers(dest="drift_command", required=True, metavar="ACTION")
    summary = (
        "compare the model's reference with the last window of the prediction log; "
        "write the reports and push the metrics"
    )
    command = actions.add_parser("run", help=summary, description=summary[0].upper() + summary[1:] + ".")
    command.add_argument("--stack", required=True, metavar="NAME", help="the stack whose settings to use")
    command.add_argument("--pushgateway", required=True, metavar="URL",
                         help="where to push the metrics, e.g. http://127.0.0.1:9091")  # fmt: skip
    command.add_argument(
        "--log-uri", metavar="URI", help="the prediction log (default: serving.predictionLog.uri)"
    )
    command.add_argument("--model-uri", metavar="URI", help="the model artifact (default: model.artifactUri)")
    command.add_argument("--output-uri", metavar="URI", help="where reports go (default: drift.reportsUri)")
    command.add_argument("--now", metavar="TIME",
                         help="the window's end, ISO 8601 with a zone (default: the current time)")  # fmt: skip
    command.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    stack = load_stack(args.project_dir, args.stack)
    config = job_config(
        stack,
        args.project_dir,
        pushgateway=_gateway(args.pushgateway),
        now=parse_now(args.now),
        log_uri=args.log_uri,
        model_uri=args.model_uri,
        reports_uri=args.output_uri,
    )
    from drift_jobs.job import run  # here, so that other commands do not pay for importing Evidently

    outcome = run(config, Progress(sys.stderr, interactive=sys.stderr.isatty()))
    print(_verdict(config, outcome))
    return 0


def _gateway(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DriftJobError(
            f"--pushgateway: {shown(url)!r} is not an http(s) URL (example: http://127.0.0.1:9091)"
        )
    return url


def _verdict(config: JobConfig, outcome: Outcome) -> str:
    """What the run found, in a few lines for the person or the log that ran it."""
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
    lines.append(f"reports: {shown(outcome.folder)}")
    return "\n".join(lines)

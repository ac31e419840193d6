"""`vigie drift run`: one drift run of a stack, as the CronJob runs it and as anyone can run it locally."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from drift_jobs.config import job_config, parse_now
from drift_jobs.errors import DriftJobError, shown
from drift_jobs.progress import Progress
from rules_src.stack import load_stack

if TYPE_CHECKING:
    from drift_jobs.job import Outcome, Thin


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
    command.add_argument("--summary-file", metavar="PATH", type=Path,
                         help="also write the run's Drift_Summary.json here (for a window too thin to judge: "
                         "its row counts and insufficient_data); the drift DAG's tasks pass it on")  # fmt: skip
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
    from drift_jobs.job import run, verdict  # here, so that other commands do not pay for importing Evidently

    outcome = run(config, Progress(sys.stderr, interactive=sys.stderr.isatty()))
    if args.summary_file is not None:
        from drift_jobs.storage import writable

        text = _summary_text(outcome)
        with writable(str(args.summary_file)):
            args.summary_file.write_text(text, encoding="utf-8")
    print(verdict(config, outcome))
    return 0


def _summary_text(outcome: Outcome | Thin) -> str:
    """The published Drift_Summary.json, or, for a thin window, why no verdict was drawn."""
    from drift_jobs.job import Thin  # here, as `run`: other commands do not pay for the analysis' imports
    from drift_jobs.storage import filesystem, join, readable
    from drift_jobs.summary import SUMMARY_FILE

    if isinstance(outcome, Thin):
        thin = {"insufficient_data": True, "rows": outcome.rows, "min_rows": outcome.needed,
                "model": {"version": outcome.model_version}}  # fmt: skip
        return json.dumps(thin, indent=2, sort_keys=True) + "\n"
    fs, folder = filesystem(outcome.folder)
    with readable(outcome.folder):
        text: str = fs.cat_file(join(folder, SUMMARY_FILE)).decode("utf-8")
    return text


def _gateway(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DriftJobError(
            f"--pushgateway: {shown(url)!r} is not an http(s) URL (example: http://127.0.0.1:9091)"
        )
    return url

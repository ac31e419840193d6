"""`vigie report business`: the weekly business report of a stack, queried from Prometheus and mailed to the
business route's e-mail receivers, as the report CronJob runs it and as anyone can run it by hand."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from reports.errors import ReportError
from reports.week import IsoWeek
from rules_src.stack import load_stack

DEFAULT_PROMETHEUS = "http://127.0.0.1:9090"
"""The local stack's Prometheus."""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = commands.add_parser("report", help="reports mailed to people")
    kinds = report.add_subparsers(dest="report_command", required=True, metavar="REPORT")
    summary = (
        "the week's decisions, refusal rate, scores and model versions against the previous week, and when the "
        "business alerts fired, mailed to the business route's e-mail receivers"
    )
    command = kinds.add_parser("business", help=summary, description=summary[0].upper() + summary[1:] + ".")
    command.add_argument("--stack", required=True, metavar="NAME", help="the stack whose settings to use")
    command.add_argument("--week", metavar="YYYY-Www",
                         help="the ISO week to report on, in UTC (default: the last whole week)")  # fmt: skip
    command.add_argument("--prometheus", default=DEFAULT_PROMETHEUS, metavar="URL",
                         help=f"where to query (default: {DEFAULT_PROMETHEUS}, the local stack's)")  # fmt: skip
    command.add_argument("--secrets-dir", required=True, type=Path, metavar="DIR",
                         help="a folder with one file per secret config key (each receiver's passwordSecret), "
                         "as the Alertmanager credentials Secret mounts them")  # fmt: skip
    command.add_argument("--smarthost", metavar="HOST:PORT",
                         help="send through this SMTP server instead of each receiver's smarthost")  # fmt: skip
    command.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    stack = load_stack(args.project_dir, args.stack)
    receivers = stack.settings.alerting.business_emails()
    if not receivers:
        raise ReportError(
            f"stack {stack.name}: the business route (vigie:alerting.routes.business) has no e-mail receiver "
            "to send the report to"
        )
    now = datetime.now(UTC)
    week = IsoWeek.parse(args.week) if args.week else IsoWeek.last_complete(now)
    # Imported here, so that other commands do not pay for importing matplotlib.
    from reports.business import build_report, percent
    from reports.mail import read_password, report_message, send
    from reports.prometheus import Prometheus

    passwords = {name: read_password(args.secrets_dir, email) for name, email in receivers.items()}
    report = build_report(stack, Prometheus(_url(args.prometheus)), week, now)
    for name, email in receivers.items():
        send(report_message(report, email), email, passwords[name], args.smarthost)
        print(f"sent the {week} business report of {stack.name} to {email.to} (receiver {name}): refusal rate "
              f"{percent(report.current.refusal_rate)}")  # fmt: skip
    return 0


def _url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ReportError(f"--prometheus: {url!r} is not an http(s) URL (example: http://127.0.0.1:9090)")
    return url

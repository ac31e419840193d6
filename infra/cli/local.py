"""`vigie local`: the whole monitoring loop on one machine (up, status, restart, traffic, drift, summary, down).

Traffic and snapshots import their modules when they run: pandas, LightGBM and matplotlib take about a second
to import, which every other `vigie` command would otherwise pay."""

from __future__ import annotations

import argparse
import json
import time
import urllib.request
from pathlib import Path
from typing import Any

from conventions.errors import UserError
from infra.local.deliveries import Delivery
from infra.local.fast import fast_stack
from infra.local.stack import (
    LocalState,
    Ports,
    deliveries,
    down,
    health,
    notifications,
    read_state,
    restart,
    up,
)
from infra.local.traffic_modes import BAD_PAYLOAD_SHARE, DEFAULT_FAULTS, Mode
from infra.settings.types import local_location
from rules_src.stack import load_stack

DEFAULT_RUN_DIR = Path("run/local")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    local = commands.add_parser("local", help="run the scoring service and the monitoring stack on loopback")
    local.add_argument("--run-dir", type=Path, default=DEFAULT_RUN_DIR,
                       help=f"data, logs and Ray's temp dir, under the project (default: {DEFAULT_RUN_DIR})")  # fmt: skip
    actions = local.add_subparsers(dest="action", required=True, metavar="ACTION")
    starting = actions.add_parser("up", help="start everything, in the background")
    starting.add_argument(
        "--stack", default="dev", help="the stack whose rules and routing to run (default: dev)"
    )
    starting.add_argument("--fast", action="store_true",
                          help="2 s intervals and `for` capped at 20 s, so alerts fire within a minute or two")  # fmt: skip
    starting.add_argument("--model-version", help="serve this model version instead of the declared one")
    starting.set_defaults(run=run_up)
    actions.add_parser("status", help="what runs, and where").set_defaults(run=run_status)
    again = actions.add_parser("restart", help="stop processes if they run, start them as recorded")
    again.add_argument("process", metavar="PROCESS", nargs="+",
                       help="sink, pushgateway, alertmanager (alertmanager-2 when the stack runs two), "
                       "prometheus, or scoring (the service and its Ray nodes); several start together")  # fmt: skip
    again.set_defaults(run=run_restart)
    traffic = actions.add_parser("traffic", help="drive the scoring service")
    traffic.add_argument("--mode", type=Mode, choices=list(Mode), default=Mode.NORMAL)
    traffic.add_argument("--seconds", type=float, default=60.0, help="how long (default: 60)")
    traffic.add_argument("--rate", type=float, default=20.0, help="requests per second (default: 20)")
    traffic.add_argument("--error-rate", type=float,
                         help="share answered 500 in errors mode (default: 0.2), of malformed bodies (422) in "
                         f"client-errors mode (default: {BAD_PAYLOAD_SHARE})")  # fmt: skip
    traffic.add_argument("--delay-ms", type=int, help="added latency in slow mode (default: 1200)")
    traffic.add_argument("--cpu-burn-ms", type=int, default=0,
                         help="ms each request keeps a core busy on the replica's node, in any mode (default: 0)")  # fmt: skip
    traffic.set_defaults(run=run_traffic)
    actions.add_parser("drift", help="run the drift job on the local prediction log").set_defaults(
        run=run_drift
    )
    summary = actions.add_parser("summary", help="alerts firing, where each was routed, reports, URLs")
    summary.add_argument("--wait-for", nargs="*", default=[], metavar="ALERT",
                         help="wait (up to --timeout) until these alerts have reached a receiver")  # fmt: skip
    summary.add_argument("--timeout", type=float, default=180.0)
    summary.set_defaults(run=run_summary)
    snap = actions.add_parser(
        "snapshot", help="PNG previews of each dashboard's panels from the live Prometheus"
    )
    snap.add_argument("--minutes", type=float, default=30.0, help="time range to draw (default: 30)")
    snap.set_defaults(run=run_snapshot)
    actions.add_parser("down", help="stop everything by PID, recorded or not").set_defaults(run=run_down)


def _run_dir(args: argparse.Namespace) -> Path:
    return Path(args.project_dir) / Path(args.run_dir)


def _state(args: argparse.Namespace) -> LocalState:
    state = read_state(_run_dir(args))
    if state is None:
        raise UserError(f"no local stack in {_run_dir(args)}: run `vigie local up` first")
    return state


def run_up(args: argparse.Namespace) -> int:
    project: Path = args.project_dir
    stack = fast_stack(project, args.stack) if args.fast else load_stack(project, args.stack)
    state = up(project, stack, _run_dir(args), Ports(), args.fast, args.model_version)
    print(f"local stack {state.stack}{' (fast)' if state.fast else ''} is up:")
    _print_urls(state)
    return 0


def _print_urls(state: LocalState) -> None:
    print(f"  scoring service  {state.scoring_url}  (metrics: Ray head {state.ray_metrics_url}, "
          f"worker {state.ray_worker_metrics_url})")  # fmt: skip
    for name, process in state.processes.items():
        print(f"  {name:<16} {process.url}  (pid {process.pid}, log {process.log})")


def run_status(args: argparse.Namespace) -> int:
    """Each recorded process: ready only when its PID runs and its URL answers; exit 1 unless all are."""
    checks = health(_run_dir(args), _state(args))
    for check in checks:
        why = f"  ({check.reason})" if check.reason else ""
        print(f"{check.name:<16} {'ready' if check.ready else 'NOT READY':<9} {check.url}{why}")
    return 0 if all(check.ready for check in checks) else 1


def run_restart(args: argparse.Namespace) -> int:
    for restarted in restart(_run_dir(args), args.process):
        stopped = restarted.old_pid
        before = f"pid {stopped} stopped" if stopped else "its recorded pid was not running"
        print(f"{restarted.name} restarted ({before}): pid {restarted.pid}, {restarted.url} ready")
    return 0


def run_traffic(args: argparse.Namespace) -> int:
    from infra.local.traffic import applicants, drive, set_faults, with_bad_payloads
    from serving.artifact import load_artifact

    state = _state(args)
    mode: Mode = args.mode
    faults = dict(DEFAULT_FAULTS.get(mode, {"error_rate": 0.0, "delay_ms": 0}))
    bad_share = BAD_PAYLOAD_SHARE
    if args.error_rate is not None and mode is Mode.CLIENT_ERRORS:
        bad_share = args.error_rate
    elif args.error_rate is not None:
        faults["error_rate"] = args.error_rate
    if args.delay_ms is not None:
        faults["delay_ms"] = args.delay_ms
    model = load_stack(args.project_dir, state.stack).settings.model
    artifact = load_artifact(local_location(model.artifact_uri, args.project_dir))
    bodies = applicants(mode, artifact, seed=7)
    if mode is Mode.CLIENT_ERRORS:
        bodies = with_bad_payloads(bodies, bad_share)
    set_faults(state.scoring_url, float(faults["error_rate"]), int(faults["delay_ms"]), args.cpu_burn_ms)
    try:
        report = drive(state.scoring_url, bodies, mode, args.seconds, args.rate)
    finally:
        set_faults(state.scoring_url, 0.0, 0)
    print(report.line())
    return 0


def run_drift(args: argparse.Namespace) -> int:
    from infra.cli import main

    state = _state(args)
    return main(["--project-dir", str(args.project_dir), "drift", "run", "--stack", state.stack,
                 "--pushgateway", state.url("pushgateway")])  # fmt: skip


def _firing(state: LocalState) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{state.url('prometheus')}/api/v1/alerts", timeout=5) as response:
        alerts: list[dict[str, Any]] = json.load(response)["data"]["alerts"]
    return [a for a in alerts if a["state"] == "firing"]


def run_summary(args: argparse.Namespace) -> int:
    state = _state(args)
    run_dir = _run_dir(args)
    deadline = time.monotonic() + args.timeout
    wanted = set(args.wait_for)
    while wanted - set().union(*notifications(run_dir).values()) and time.monotonic() < deadline:
        time.sleep(2)
    routed = notifications(run_dir)
    print("Alerts firing in Prometheus:")
    for alert in sorted(_firing(state), key=lambda a: a["labels"]["alertname"]):
        labels = alert["labels"]
        print(f"  {labels['alertname']:<24} {labels.get('severity', ''):<9} {labels.get('category', '')}")
    print("Notifications received, by real destination (through each receiver's own integration):")
    for line in _by_destination(deliveries(run_dir)):
        print(f"  {line}")
    drift = load_stack(args.project_dir, state.stack).settings.drift
    runs = sorted(Path(local_location(drift.reports_uri, args.project_dir), state.stack).glob("*/"))
    if runs:
        print(f"Drift reports: {runs[-1]}")
    _print_urls(state)
    missing = wanted - set().union(*routed.values()) if routed else wanted
    if missing:
        print(f"not delivered within {args.timeout:g}s: {', '.join(sorted(missing))}")
        return 1
    return 0


def _by_destination(received: list[Delivery]) -> list[str]:
    """One line per destination: how it was reached, by which receivers, and what arrived."""
    grouped: dict[str, list[Delivery]] = {}
    for delivery in received:
        grouped.setdefault(delivery.destination, []).append(delivery)
    lines = []
    for destination, done in sorted(grouped.items()):
        via = ", ".join(sorted({d.via for d in done}))
        receivers = ", ".join(sorted({r for d in done for r in d.receivers})) or "no receiver"
        counts = {status: sum(d.status == status for d in done) for status in ("firing", "resolved")}
        others = len(done) - sum(counts.values())
        tally = f"{counts['firing']} firing, {counts['resolved']} resolved" + (
            f", {others} other" if others else ""
        )
        names = ", ".join(sorted({a for d in done if d.status == "firing" for a in d.alertnames})) or "-"
        lines.append(f"{destination} ({receivers}; {via}): {tally}: {names}")
    return lines


def run_snapshot(args: argparse.Namespace) -> int:
    from dashboards_src.build import dashboards
    from infra.local.snapshot import snapshot

    state = _state(args)
    stack = load_stack(args.project_dir, state.stack)
    for uid, board in dashboards(stack).items():
        out = _run_dir(args) / "snapshots" / f"{uid}.png"
        shown, with_data = snapshot(board, state.url("prometheus"), out, args.minutes)
        print(f"wrote {out} ({with_data} of {shown} panels with data)")
    return 0


def run_down(args: argparse.Namespace) -> int:
    stopped = down(_run_dir(args))
    if stopped.state is not None:
        print(f"local stack {stopped.state.stack} stopped")
    for process in stopped.unrecorded:
        print(f"stopped pid {process.pid} ({process.command}): started by this stack, not in state.json")
    if stopped.state is None and not stopped.unrecorded:
        print("nothing was running")
    return 0

"""Drift benchmark: the whole drift job (`vigie drift run`: reading Parquet, the three analyses, the reports,
the push) on 1,000,000 current rows x 40 features against a 200,000-row reference, at full data and at the
default sample size, beside a plain `scipy.stats.ks_2samp` pass over the same column pairs. Each runs in its
own process; wall time and peak RSS are that process's, and the ratios are against the scipy pass.

    .venv/bin/python bench/drift_benchmark.py [--rows 1000000] [--repeat 1] [--evidently-full]

Data is generated once (deterministic) under run/bench-drift/ and reused.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml
from drift_window import WINDOW

from drift_jobs.synthetic import Scenario, write_model_artifact, write_prediction_log
from infra.local.process import LOOPBACK, free_port, start, stop
from infra.settings.model import Drift

PROJECT = Path(__file__).resolve().parents[1]
WINDOW_END = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
FEATURES = 40
SHIFTED = 15
SHIFT = 0.2
"""Standard deviations: Cohen's 'small' effect, which a drift job must find."""


@dataclass(frozen=True)
class Measure:
    name: str
    wall: float
    cpu: float
    """User and system time: less disturbed than wall time by other work on shared cores."""
    peak_rss_mb: float
    output: str


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="current rows in the window")
    parser.add_argument("--reference-rows", type=int, default=200_000)
    parser.add_argument("--part-rows", type=int, default=10_000, help="rows per Parquet part file")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the fastest is kept")
    parser.add_argument("--evidently-full", action="store_true",
                        help="also time Evidently's DataDriftPreset alone on every row, once (slow)")  # fmt: skip
    args = parser.parse_args()
    scenario = Scenario(
        numeric_features=FEATURES,
        mixed=False,
        shifted=tuple(f"x{i:02d}" for i in range(0, 2 * SHIFTED, 2)),
        shift=SHIFT,
        reference_rows=args.reference_rows,
        current_rows=args.rows,
        part_rows=args.part_rows,
        labelled_share=0.3,
    )
    data = _data(scenario)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="vigie-drift-bench-") as scratch:
        project = _project(Path(scratch), full_sample=max(args.rows, args.reference_rows))
        gateway = start("pushgateway", [
            "prometheus-pushgateway", f"--web.listen-address={LOOPBACK}:{(port := free_port())}",
            f"--persistence.file={scratch}/pushgateway.db",
        ], Path(scratch) / "pushgateway.log", f"http://{LOOPBACK}:{port}/-/ready")  # fmt: skip
        try:
            runs = [("scipy ks_2samp pass", _scipy_argv(data))]
            runs += [(f"job, {label}", _job_argv(project, stack, data, gateway.url, scratch))
                     for label, stack in (("full data", "bench-full"), ("default sample", "bench-default"))]  # fmt: skip
            results = [_best(name, argv, args.repeat) for name, argv in runs]
            if args.evidently_full:
                results.append(_best("Evidently DataDriftPreset alone, full data", _evidently_argv(data), 1))
        finally:
            stop(gateway.pid)
    _print(scenario, results)
    print(f"\n1-minute load average: {load:.1f} before the runs, {os.getloadavg()[0]:.1f} after "
          f"(other work on these CPUs inflates wall times, less so CPU times)")  # fmt: skip


def _data(scenario: Scenario) -> Path:
    """The benchmark's artifact and log, generated once per scenario."""
    folder = (
        PROJECT
        / "run"
        / "bench-drift"
        / f"{scenario.current_rows}x{scenario.numeric_features}-ref{scenario.reference_rows}-p{scenario.part_rows}"
    )
    done = folder / "complete"
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        print(f"generating {folder.relative_to(PROJECT)} …", file=sys.stderr, flush=True)
        write_model_artifact(folder / "model", scenario)
        write_prediction_log(folder / "log", scenario, WINDOW_END, WINDOW)
        done.touch()
    return folder


def _project(scratch: Path, full_sample: int) -> Path:
    """A copy of the project's staging stack as two stacks: one testing every row, one at the default sample."""
    shutil.copy(PROJECT / "Pulumi.yaml", scratch / "Pulumi.yaml")
    document = yaml.safe_load((PROJECT / "Pulumi.staging.yaml").read_text())
    for stack, sample in (("bench-full", full_sample), ("bench-default", None)):
        drift = {"window": "7d"} | ({"sampleSize": sample} if sample else {})
        document["config"]["vigie:drift"] = drift
        (scratch / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return scratch


def _job_argv(project: Path, stack: str, data: Path, gateway: str, scratch: str) -> list[str]:
    vigie = str(Path(sys.executable).parent / "vigie")
    return [vigie, "--project-dir", str(project), "drift", "run", "--stack", stack, "--pushgateway", gateway,
            "--log-uri", str(data / "log"), "--model-uri", str(data / "model"),
            "--output-uri", f"{scratch}/reports", "--now", WINDOW_END.isoformat()]  # fmt: skip


def _scipy_argv(data: Path) -> list[str]:
    return [
        sys.executable,
        str(Path(__file__).with_name("drift_scipy_pass.py")),
        str(data),
        WINDOW_END.isoformat(),
    ]


def _evidently_argv(data: Path) -> list[str]:
    script = Path(__file__).with_name("drift_evidently_full.py")
    return [sys.executable, str(script), str(data), WINDOW_END.isoformat()]


def _best(name: str, argv: list[str], repeat: int) -> Measure:
    print(f"running: {name} …", file=sys.stderr, flush=True)
    return min((_measure(name, argv) for _ in range(repeat)), key=lambda m: m.wall)


def _measure(name: str, argv: list[str]) -> Measure:
    """Wall time and peak RSS of one child process (wait4 gives that child's own rusage)."""
    with tempfile.TemporaryFile() as out:
        began = time.monotonic()
        child = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=PROJECT)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.monotonic() - began
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read().decode()
    if child.returncode != 0:
        raise SystemExit(f"{name} failed with status {child.returncode}:\n{output}")
    return Measure(name, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output)


def _print(scenario: Scenario, results: list[Measure]) -> None:
    baseline = results[0]
    print(f"\n{scenario.current_rows:,} current rows x {scenario.numeric_features} features "
          f"({SHIFTED} shifted by {SHIFT} sd) against {scenario.reference_rows:,} reference rows; "
          f"default sample size {Drift().sample_size:,}; {os.cpu_count()} CPUs (shared)\n")  # fmt: skip
    print(f"{'':44} {'wall s':>7} {'cpu s':>7} {'peak RSS MB':>12} {'wall x':>7} {'cpu x':>6} {'RSS x':>6}")
    for m in results:
        print(f"{m.name:44} {m.wall:7.1f} {m.cpu:7.1f} {m.peak_rss_mb:12.0f} {m.wall / baseline.wall:7.2f} "
              f"{m.cpu / baseline.cpu:6.2f} {m.peak_rss_mb / baseline.peak_rss_mb:6.2f}")  # fmt: skip
    for m in results:
        print(f"\n--- {m.name}")
        print("\n".join(line for line in m.output.splitlines() if _worth_showing(line)))


def _worth_showing(line: str) -> bool:
    return "done in" in line or (not line.startswith("20") and "Warning" not in line)


if __name__ == "__main__":
    main()

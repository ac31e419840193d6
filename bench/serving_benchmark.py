"""Load benchmark of the scoring service: the Ray Serve app against a bare FastAPI + uvicorn app serving the
same model, routes, metrics and prediction log, in one run on this machine, each driven by wrk at a fixed
concurrency for a fixed time. Prints req/s, p50/p95/p99, the Ray/bare ratio, 5xx, prediction-log completeness
and the CPU each process spent per request; with --profile, where the proxy's and the replica's time goes.

The bare app runs twice, without and with the prediction log's write-ahead spool, and the spool's cost is
printed as their ratio: on the bare app, cheaper per request than Ray, a per-request cost shows the most.
`--runs N` runs them all N times in turn and prints each server's medians: this machine's speed drifts by
±20 % between runs minutes apart, so a ratio is only taken within a run. The Ray variants run the stack's settings, the spool included; by default the one variant is the
deployable default, the dev stack as committed (its ingress: HAProxy), driven through its one entry point
(the head node's HAProxy, as the local run starts it).

    .venv/bin/python bench/serving_benchmark.py [--duration 30] [--concurrency 32] [--variant NAME ...]
        [--runs N] [--profile]

Needs wrk (apt-get install -y wrk). Everything runs on 127.0.0.1 under run/bench-srv/, and every process it
starts is stopped by PID; run it in a network namespace of its own (`unshare --net`, loopback up) on a machine
shared with other runs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.dataset as ds
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serving_load import CpuUse, Load, run_wrk, session_processes
from serving_profile import Profile, read_profile, start_recording

from conventions.artifact_format import LABEL, PREDICTIONS_DIR, REQUEST_ID, SCORE
from infra.local.process import LOOPBACK, answers, free_port
from infra.local.scoring_service import LocalSpec, start, stop
from serving.training import Costs, train, write_artifact

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "run" / "bench-srv"
STACK = "dev"
BODIES = 500
WARMUP_S = 5.0
MODEL_VERSION = "bench"
"""The version of the model the benchmark trains, which its stacks declare (replicas refuse any other)."""


@dataclass(frozen=True)
class Variant:
    """One way to run the Ray Serve app: replicas, batching, Serve's environment knobs."""

    name: str
    about: str
    replicas: int = 1
    max_batch_size: int | None = None
    batch_wait: str | None = None
    """@serve.batch's size and wait, None: the stack's (vigie:serving.batching)."""
    ingress: str | None = None
    """vigie:serving.ingress, None: the stack's. With "direct", wrk targets the replica's own HTTP port; with
    "haproxy" and "proxy", the one entry point (the head node's HAProxy, or Serve's proxies)."""
    access_log: bool = True
    env: dict[str, str] = field(default_factory=dict)


_SAME_LOOP = {"RAY_SERVE_RUN_USER_CODE_IN_SEPARATE_THREAD": "0", "RAY_SERVE_RUN_ROUTER_IN_SEPARATE_LOOP": "0"}

VARIANTS = {
    v.name: v
    for v in (
        Variant("default", "the stack's settings (its ingress, its batching): 1 replica"),
        Variant("2-replicas", "the stack's settings with 2 replicas behind its one entry point", replicas=2),
        Variant("proxy", "ingress: proxy, Serve's HTTP proxy on every node", ingress="proxy"),
        Variant(
            "haproxy", "ingress: haproxy, the head node's HAProxy in front of the replica", ingress="haproxy"
        ),
        Variant(
            "haproxy-2-replicas",
            "ingress: haproxy, 2 replicas behind the one HAProxy",
            ingress="haproxy",
            replicas=2,
        ),
        Variant(
            "haproxy-quiet",
            "ingress: haproxy, no access log (accessLog: false)",
            ingress="haproxy",
            access_log=False,
        ),
        Variant(
            "haproxy-plain",
            "ingress: haproxy without the throughput preset's other knobs",
            ingress="haproxy",
            env={"RAY_SERVE_THROUGHPUT_OPTIMIZED": "0"},
        ),
        Variant(
            "haproxy-batch-5ms",
            "ingress: haproxy, @serve.batch 16 / 5ms: a batch waits up to 5 ms to fill",
            ingress="haproxy",
            batch_wait="5ms",
        ),
        Variant(
            "haproxy-batch-0ms",
            "ingress: haproxy, @serve.batch 16 / 0ms: a batch takes what is queued, never waits",
            ingress="haproxy",
            batch_wait="0ms",
        ),
        Variant("batch-1ms", "ingress: proxy, @serve.batch 16 / 1ms", ingress="proxy", batch_wait="1ms"),
        Variant(
            "batch-32-10ms",
            "ingress: proxy, @serve.batch 32 / 10ms",
            ingress="proxy",
            max_batch_size=32,
            batch_wait="10ms",
        ),
        Variant(
            "same-loop",
            "ingress: proxy, user code and router on the main event loop (RAY_SERVE_RUN_*_IN_SEPARATE_*=0)",
            ingress="proxy",
            env=_SAME_LOOP,
        ),
        Variant(
            "grpc-handles",
            "ingress: proxy, proxy-to-replica calls over gRPC (RAY_SERVE_PROXY_USE_GRPC=1)",
            ingress="proxy",
            env={"RAY_SERVE_PROXY_USE_GRPC": "1"},
        ),
        Variant(
            "throughput",
            "RAY_SERVE_THROUGHPUT_OPTIMIZED=1 without direct ingress (keeps the proxy)",
            ingress="proxy",
            env={"RAY_SERVE_THROUGHPUT_OPTIMIZED": "1", "RAY_SERVE_ENABLE_DIRECT_INGRESS": "0"},
        ),
        Variant(
            "direct",
            "ingress: direct, Serve's throughput preset (the replica serves HTTP, no proxy hop)",
            ingress="direct",
        ),
        Variant(
            "direct-quiet",
            "ingress: direct, no access log (accessLog: false)",
            ingress="direct",
            access_log=False,
        ),
        Variant(
            "direct-plain",
            "ingress: direct without the preset's other knobs",
            ingress="direct",
            env={"RAY_SERVE_THROUGHPUT_OPTIMIZED": "0", "RAY_SERVE_ENABLE_DIRECT_INGRESS": "1"},
        ),
        Variant(
            "direct-2-replicas",
            "ingress: direct, 2 replicas (wrk reaches the first one only)",
            ingress="direct",
            replicas=2,
        ),
    )
}
DEFAULT_VARIANTS = ("default",)
"""Bare uvicorn against the deployable default: the committed stack's ingress, through its one entry point."""


@dataclass(frozen=True)
class LogCheck:
    """The prediction log against the request ids wrk saw answered 200 (warm-up and measurement)."""

    answered: int
    missing: int
    """Answered but not in the log: lost records."""
    duplicates: int
    extra: int
    """Logged but never seen answered: requests still in flight when wrk stopped (at most its connections)."""

    def text(self) -> str:
        verdict = "complete" if self.missing == 0 and self.duplicates == 0 else "INCOMPLETE"
        counts = f"{self.answered - self.missing}/{self.answered}"
        return f"{verdict}: {counts} ({self.duplicates} dup, {self.extra} in flight)"


@dataclass(frozen=True)
class Result:
    name: str
    load: Load
    cpu: CpuUse
    log: LogCheck


def prepare() -> tuple[Path, Path]:
    """A fresh work folder with the model artifact and the request bodies wrk sends."""
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    trained = train(MODEL_VERSION, Costs(10.0, 1.0))
    write_artifact(trained, str(WORK / "model"))
    features = trained.reference.drop(columns=[SCORE, LABEL]).head(BODIES)
    bodies = WORK / "bodies.jsonl"
    bodies.write_text("".join(json.dumps(row) + "\n" for row in features.to_dict(orient="records")))
    return WORK / "model", bodies


def check_log(log_dir: Path, answered_files: list[Path]) -> LogCheck:
    folder = log_dir / PREDICTIONS_DIR
    logged: list[str] = []
    if folder.is_dir():
        table = ds.dataset(folder, format="parquet", partitioning="hive").to_table(columns=[REQUEST_ID])
        logged = table.column(REQUEST_ID).to_pylist()
    answered = {line for path in answered_files for line in path.read_text().split()}
    unique = set(logged)
    return LogCheck(len(answered), len(answered - unique), len(logged) - len(unique), len(unique - answered))


def _measure(
    url: str, bodies: Path, args: argparse.Namespace, session: int, tag: str
) -> tuple[Load, CpuUse, list[Path]]:
    ids = [WORK / f"{tag}-warmup.ids", WORK / f"{tag}-measured.ids"]
    run_wrk(url, bodies, args.concurrency, WARMUP_S, session, ids[0])
    load, cpu = run_wrk(url, bodies, args.concurrency, args.duration, session, ids[1])
    return load, cpu, ids


@contextmanager
def bare_server(
    model: Path, log_dir: Path, spool: Path | None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    with (WORK / "bare.log").open("ab") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).with_name("serving_bare_app.py")),
                "--artifact",
                str(model),
                "--log",
                str(log_dir),
                "--port",
                str(port),
                *(["--spool", str(spool)] if spool else []),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while not answers(f"http://{LOOPBACK}:{port}/readyz"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the bare app did not start; see {WORK / 'bare.log'}")
            time.sleep(0.3)
        yield f"http://{LOOPBACK}:{port}/predict", process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def run_bare(model: Path, bodies: Path, args: argparse.Namespace, spool: bool) -> Result:
    tag = "bare-spool" if spool else "bare"
    log_dir = WORK / f"{tag}-log"
    for previous in (log_dir, WORK / f"{tag}-spool"):  # an earlier run's (--runs)
        shutil.rmtree(previous, ignore_errors=True)
    with bare_server(model, log_dir, WORK / f"{tag}-spool" if spool else None) as (url, process):
        load, cpu, ids = _measure(url, bodies, args, process.pid, tag)
    name = "bare FastAPI + uvicorn" + (" + spool" if spool else "")
    return Result(name, load, cpu, check_log(log_dir, ids))


def _variant_project(variant: Variant, model: Path) -> Path:
    """A project folder whose dev stack is the real one with the variant's serving settings."""
    project = WORK / variant.name
    shutil.rmtree(project, ignore_errors=True)  # a profiling run follows the measured one
    project.mkdir()
    document = yaml.safe_load((ROOT / f"Pulumi.{STACK}.yaml").read_text())
    config = document["config"]
    config["vigie:model"].update(artifactUri=str(model), version=MODEL_VERSION)
    serving = config["vigie:serving"]
    serving["autoscaling"].update(minReplicas=variant.replicas, maxReplicas=variant.replicas)
    batching = {"maxBatchSize": variant.max_batch_size, "batchWaitTimeout": variant.batch_wait}
    serving["batching"] = serving.get("batching", {}) | {k: v for k, v in batching.items() if v is not None}
    serving["maxOngoingRequests"] = max(serving.get("maxOngoingRequests", 64), 64)
    serving["predictionLog"] = {"uri": "predictions"}
    if variant.ingress is not None:
        serving["ingress"] = variant.ingress
    serving["accessLog"] = variant.access_log
    (project / f"Pulumi.{STACK}.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return project


@contextmanager
def ray_server(variant: Variant, model: Path) -> Iterator[tuple[str, int, Path]]:
    project = _variant_project(variant, model)
    run_dir = WORK / f"ray-{list(VARIANTS).index(variant.name)}"  # short: Ray's socket paths live under it
    spec = LocalSpec(
        project_dir=str(project),
        stack=STACK,
        run_dir=str(run_dir),
        port=free_port(),
        metrics_port=free_port(),
        env=variant.env,
    )
    state = start(spec)
    try:
        yield f"{state.url}/predict", state.pid, project / "predictions"
    finally:
        stop(Path(spec.run_dir))


def run_ray(variant: Variant, model: Path, bodies: Path, args: argparse.Namespace) -> Result:
    with ray_server(variant, model) as (url, session, log_dir):
        load, cpu, ids = _measure(url, bodies, args, session, variant.name)
    return Result(f"Ray Serve: {variant.name}", load, cpu, check_log(log_dir, ids))


def profile_ray(variant: Variant, model: Path, bodies: Path, args: argparse.Namespace) -> list[Profile]:
    """A separate run under py-spy (sampling perturbs timings): the buckets of the proxy and the replica."""
    with ray_server(variant, model) as (url, session, _):
        run_wrk(url, bodies, args.concurrency, WARMUP_S, session, WORK / "profile-warmup.ids")
        targets = {
            pid: name
            for pid, name in session_processes(session).items()
            if name in ("ProxyActor", "ServeReplica")
        }
        outputs = {pid: WORK / f"profile-{variant.name}-{name}.txt" for pid, name in targets.items()}
        recorders = [start_recording(pid, args.duration - 2, out) for pid, out in outputs.items()]
        run_wrk(url, bodies, args.concurrency, args.duration, session, WORK / "profile.ids")
        for recorder in recorders:
            recorder.wait(timeout=60)
    return [
        read_profile(f"{variant.name}: {targets[pid]}", out) for pid, out in outputs.items() if out.is_file()
    ]


def _row(result: Result, bare: Result) -> str:
    load = result.load
    return (
        f"{result.name:<28} {load.rate:8.1f} {load.p50_ms:7.1f} {load.p95_ms:7.1f} {load.p99_ms:7.1f} "
        f"{load.rate / bare.load.rate:6.2f} {load.server_errors:5d} {load.socket_errors:5d}  "
        f"{result.log.text()}"
    )


def _cpu_lines(result: Result) -> list[str]:
    requests = max(result.load.requests, 1)
    ours = sum(result.cpu.by_process.values()) + result.cpu.wrk
    parts = sorted(result.cpu.by_process.items(), key=lambda kv: -kv[1])
    shown = ", ".join(f"{name} {1000 * seconds / requests:.2f}" for name, seconds in parts if seconds >= 0.05)
    others = max(result.cpu.machine - ours, 0.0) / result.cpu.seconds
    return [
        f"  {result.name}: CPU ms/request: {shown}, wrk {1000 * result.cpu.wrk / requests:.2f}; "
        f"machine busy {result.cpu.machine / result.cpu.seconds:.2f} cores, of which others {others:.2f}"
    ]


def report(results: list[Result], args: argparse.Namespace, title: str) -> None:
    bare = results[0]
    print(
        f"\n{title}: concurrency {args.concurrency}, {args.duration:g}s per server (after {WARMUP_S:g}s "
        f"warm-up), POST /predict, one applicant per request"
    )
    print(
        f"{'server':<28} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'ratio':>6} {'5xx':>5} "
        f"{'sock':>5}  prediction log"
    )
    for result in results:
        print(_row(result, bare))
    spooled = results[1].load
    print(
        f"\nspool cost (bare app, with/without): req/s x{spooled.rate / bare.load.rate:.3f}, "
        f"p50 x{spooled.p50_ms / bare.load.p50_ms:.3f}, p99 x{spooled.p99_ms / bare.load.p99_ms:.3f}"
    )
    print("\nCPU per request by process (ms; both cores of the machine are shared with other users):")
    for result in results:
        print("\n".join(_cpu_lines(result)))


def summarize(runs: list[list[Result]]) -> None:
    """Each server's medians over the runs; a ratio is taken within its run, against that run's bare app."""
    print(f"\nmedians over {len(runs)} runs (ratio: within each run, to its bare app without the spool)")
    print(f"{'server':<28} {'req/s':>8} {'p99 ms':>7} {'ratio':>6}  ratio in each run")
    for index, result in enumerate(runs[0]):
        ratios = [run[index].load.rate / run[0].load.rate for run in runs]
        print(
            f"{result.name:<28} {statistics.median(run[index].load.rate for run in runs):8.1f} "
            f"{statistics.median(run[index].load.p99_ms for run in runs):7.1f} {statistics.median(ratios):6.2f}  "
            + " ".join(f"{r:.2f}" for r in ratios)
        )


def report_profiles(profiles: list[Profile]) -> None:
    for profile in profiles:
        print(f"\nprofile of {profile.process} ({profile.samples} samples):")
        for name, share in profile.shares():
            print(f"  {share:6.1%}  {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duration", type=float, default=30.0, help="measured seconds per server (default 30)"
    )
    parser.add_argument("--concurrency", type=int, default=32, help="open connections (default 32)")
    parser.add_argument(
        "--variant",
        action="append",
        choices=sorted(VARIANTS),
        help=f"Ray Serve variant to run (repeatable; default: {', '.join(DEFAULT_VARIANTS)})",
    )
    parser.add_argument(
        "--profile", action="store_true", help="profile the first variant with py-spy afterwards"
    )
    parser.add_argument(
        "--runs", type=int, default=1, help="times to run the servers in turn, for medians (default 1)"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("error: wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2
    variants = [VARIANTS[name] for name in args.variant or DEFAULT_VARIANTS]
    model, bodies = prepare()
    runs = []
    for _ in range(args.runs):
        results = [run_bare(model, bodies, args, spool=False), run_bare(model, bodies, args, spool=True)]
        runs.append(results + [run_ray(variant, model, bodies, args) for variant in variants])
    profiles = [p for v in variants for p in profile_ray(v, model, bodies, args)] if args.profile else []
    for number, results in enumerate(runs, 1):
        report(results, args, f"run {number} of {len(runs)}")
    if len(runs) > 1:
        summarize(runs)
    report_profiles(profiles)
    ok = all(
        r.log.missing == 0 and r.log.duplicates == 0 and r.load.server_errors == 0
        for run in runs
        for r in run
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

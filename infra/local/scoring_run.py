"""The local scoring service's process: Ray on loopback (temp dir under the run folder, dashboard off, metrics
export port fixed) running the stack's Serve config until SIGTERM, then a graceful Serve shutdown (replicas
flush their prediction log) and ray.shutdown().

Started by `infra.local.scoring_service.start` as `python -m infra.local.scoring_run SPEC.json`.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import threading
import time
from pathlib import Path

import ray
from ray import serve
from ray.serve._private.api import serve_start
from ray.serve.schema import ApplicationStatus, ServeDeploySchema

from conventions.errors import UserError
from infra.local.process import LOOPBACK
from infra.local.scoring_service import LocalSpec, link_ray_temp_dir
from rules_src.stack import Stack, load_stack
from serving.serve_config import LocalOverrides, Placement, serve_config

METRICS_REPORT_MS = 5000
"""How often Ray exports metrics (its default is 10 s), so local alert tests see changes sooner."""
OBJECT_STORE_BYTES = 256 * 2**20
"""The app passes no large objects; keep Ray's shared memory small on a shared machine."""


def _logical_cpus(stack: Stack) -> int:
    """Enough Ray CPUs for the deployment's max replicas, so local autoscaling can reach it."""
    serving = stack.settings.serving
    return max(os.cpu_count() or 1, math.ceil(serving.autoscaling.max_replicas * serving.resources.cpus))


def _wait_running(app: str, timeout_s: float, stopping: threading.Event) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not stopping.is_set():
        status = serve.status().applications.get(app)
        if status is not None and status.status == ApplicationStatus.RUNNING:
            return
        if status is not None and status.status == ApplicationStatus.DEPLOY_FAILED:
            raise UserError(f"Serve could not deploy {app}: {status.message.strip().splitlines()[-1]}")
        time.sleep(0.5)
    if not stopping.is_set():
        raise UserError(f"Serve application {app} was not running after {timeout_s:g}s")


def serve_in_foreground(spec: LocalSpec) -> None:
    """Run Ray and the scoring app until SIGTERM or SIGINT, then shut both down gracefully."""
    stack = load_stack(Path(spec.project_dir), spec.stack)
    placement = Placement(LOOPBACK, spec.proxy_port or spec.port, Path(spec.project_dir))
    config = ServeDeploySchema.model_validate(
        serve_config(
            stack.settings.serving,
            stack.settings.model,
            placement,
            LocalOverrides(spec.model_version, spec.faults),
        )
    )
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    ray.init(
        address="local",
        _node_ip_address=LOOPBACK,
        _temp_dir=str(link_ray_temp_dir(Path(spec.run_dir))),
        include_dashboard=False,
        _metrics_export_port=spec.metrics_port,
        num_cpus=_logical_cpus(stack),
        object_store_memory=OBJECT_STORE_BYTES,
        _system_config={"metrics_report_interval_ms": METRICS_REPORT_MS},
    )
    try:
        client = serve_start(
            http_options=config.http_options.model_dump(), proxy_location=config.proxy_location
        )
        client.deploy_apps(config)
        _wait_running(stack.settings.serving.application, spec.ready_timeout_s, stopping)
        print(f"serving {stack.settings.serving.application} on http://{LOOPBACK}:{spec.port}", flush=True)
        stopping.wait()
        print("stopping: draining requests and flushing the prediction log", flush=True)
    finally:
        serve.shutdown()  # type: ignore[no-untyped-call]
        ray.shutdown()


def main(argv: list[str]) -> int:
    """One argument: the spec file `start` wrote."""
    spec = LocalSpec.model_validate(json.loads(Path(argv[0]).read_text()))
    try:
        serve_in_foreground(spec)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

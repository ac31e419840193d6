"""The local scoring service's process: a two-node Ray cluster on loopback shaped like the RayService, running
the stack's Serve config until SIGTERM, then a graceful Serve shutdown (replicas flush their prediction log),
ray.shutdown() and the cluster's own shutdown.

The topology is KubeRay's: a head node with `num_cpus=0` (the RayService's `num-cpus: "0"`), where Serve's
controller runs and no replica can, and one worker node holding the CPUs the replicas ask for. Serve puts a
proxy on each node (`proxy_location: EveryNode`); Serve's proxies set SO_REUSEPORT, so both share the HTTP
port on one machine. Each node exports its own metrics on its own port, as each pod does on Kubernetes.

The nodes come from Ray's multi-node-on-one-machine facility, `ray.cluster_utils.Cluster`, rather than two
`ray start --block` processes: both build the same `ray._private.node.Node` from the same RayParams, but
Cluster does it in this process, so the nodes are this process's children (in its session, which `stop`
sweeps by session id), `add_node` returns once the node has registered (no polling of a second CLI), and the
worker's agent ports are chosen free by Ray instead of colliding with the head's fixed defaults.

Started by `infra.local.scoring_service.start` as `python -m infra.local.scoring_run SPEC.json`.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ray
from ray import serve
from ray.cluster_utils import Cluster
from ray.serve._private.api import serve_start
from ray.serve.schema import ApplicationStatus, ServeDeploySchema

from conventions.errors import UserError
from infra.local.process import LOOPBACK
from infra.local.scoring_service import LocalSpec, link_ray_temp_dir
from infra.local.serve_ports import leased_serve_ports
from rules_src.stack import Stack, load_stack
from serving.serve_config import LocalOverrides, Placement, serve_config, shutdown_budget_s

METRICS_REPORT_MS = 5000
"""How often Ray exports metrics (its default is 10 s), so local alert tests see changes sooner."""
OBJECT_STORE_BYTES = 256 * 2**20
"""The app passes no large objects; keep Ray's shared memory small on a shared machine (per node)."""
NODES_TIMEOUT_S = 60.0
"""How long both nodes may take to register with the head's GCS."""
SHUTDOWN_MARGIN_S = 10.0
"""How long Serve's shutdown may take beyond the replicas' own budget, for the controller to see them gone."""


def _logical_cpus(stack: Stack) -> int:
    """Enough Ray CPUs for the deployment's max replicas, so local autoscaling can reach it."""
    serving = stack.settings.serving
    return max(os.cpu_count() or 1, math.ceil(serving.autoscaling.max_replicas * serving.resources.cpus))


def _ray_files_here(run_dir: Path) -> str:
    """Ray's temp dir under the run folder, made Ray's default too (RAY_TMPDIR, inherited by every Ray process):
    Cluster records the cluster's address in the default temp dir (/tmp/ray otherwise), outside the run."""
    temp_dir = link_ray_temp_dir(run_dir)
    os.environ["RAY_TMPDIR"] = str(temp_dir)
    (temp_dir / "ray").mkdir(exist_ok=True)
    return str(temp_dir)


def _node_args(temp_dir: str) -> dict[str, Any]:
    """RayParams both nodes share: loopback, Ray's files under the run folder, no dashboard, a small store."""
    return {
        "node_ip_address": LOOPBACK,
        "temp_dir": temp_dir,
        "include_dashboard": False,
        "object_store_memory": OBJECT_STORE_BYTES,
    }


def start_cluster(spec: LocalSpec, stack: Stack) -> Cluster:
    """The head (no CPU, so no replica; the head's metrics port) and one worker with the replicas' CPUs."""
    assert spec.worker_metrics_port is not None, "start() chooses the worker's metrics port"
    temp_dir = _ray_files_here(Path(spec.run_dir))
    head = {
        **_node_args(temp_dir),
        "num_cpus": 0,
        "metrics_export_port": spec.metrics_port,
        "_system_config": {"metrics_report_interval_ms": METRICS_REPORT_MS},
    }
    cluster = Cluster(initialize_head=True, head_node_args=head)
    try:
        cluster.add_node(**_node_args(temp_dir), num_cpus=_logical_cpus(stack),
                         metrics_export_port=spec.worker_metrics_port)  # fmt: skip
        cluster.wait_for_nodes(timeout=NODES_TIMEOUT_S)
    except BaseException:
        cluster.shutdown()  # type: ignore[no-untyped-call]
        raise
    return cluster


@contextlib.contextmanager
def _own_serve_ports(stack: Stack) -> Iterator[None]:
    """Behind HAProxy, the fallback proxy's and the replicas' ports from a block no other local run uses, for as
    long as the cluster lives: Serve's controller and proxies read them from the environment the nodes inherit.
    With direct ingress the replicas' ports are the clients', which `start` chose, and there is no fallback."""
    if stack.settings.serving.ingress != "haproxy":
        yield
        return
    with leased_serve_ports(stack.settings.serving.autoscaling.max_replicas) as ports:
        os.environ.update(ports.environment())
        yield


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
    placement = Placement(LOOPBACK, spec.proxy_port or spec.port, Path(spec.project_dir), local=True)
    config = ServeDeploySchema.model_validate(
        serve_config(
            stack.settings.serving,
            stack.settings.model,
            stack.alerts,
            placement,
            LocalOverrides(spec.model_version, spec.faults),
        )
    )
    with _own_serve_ports(stack):
        _serve_on_cluster(spec, stack, config)


def _serve_on_cluster(spec: LocalSpec, stack: Stack, config: ServeDeploySchema) -> None:
    cluster = start_cluster(spec, stack)
    ray.init(address=cluster.address, _node_ip_address=LOOPBACK)
    stopping = threading.Event()
    # After the nodes start: each Node installs a SIGTERM handler of its own, which would skip the graceful stop.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    client = None
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
        if client is not None:
            # serve.shutdown() waits 30 s, less than a direct-ingress replica's drain and budget: the nodes
            # would then stop under a replica still flushing its prediction log.
            client.shutdown(timeout_s=shutdown_budget_s(stack.settings.serving) + SHUTDOWN_MARGIN_S)
        serve.shutdown()  # type: ignore[no-untyped-call]
        ray.shutdown()
        cluster.shutdown()  # type: ignore[no-untyped-call]


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

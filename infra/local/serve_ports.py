"""The ports Ray Serve would take from fixed defaults, leased machine-wide to one local run at a time.

With the HAProxy ingress, Serve runs a fallback proxy on the head node (HAProxy's backup server while no replica
is up: at start, after a replica died) on port 8500, with SO_REUSEPORT, and each replica serves HTTP itself on
a port Serve's controller hands out from 30000-31000. On Kubernetes every Ray pod has a network of its own, so
clusters never meet there. Local runs share the machine's network:
- two runs' fallback proxies both bind 8500, and the kernel spreads the connections over both, so a run's
  HAProxy hands requests to the other run's proxy, which answers them from the other run's replicas and logs
  them in the other run's prediction log (measured: a test's service beside the e2e stack had 204 of 2,753
  answers, and its very first one, answered by the e2e stack's model version);
- a port one run's replica frees (killed, replaced) can be taken by the other run's next replica while the
  first run's HAProxy still routes to it; Serve quarantines a freed port against that within one cluster
  (RAY_SERVE_PORT_QUARANTINE_S), not across clusters.

So each run leases a block of ports for both. A lease is an exclusive `flock` on a file named after the block,
in a folder of the system temp dir shared by every run on the machine. The run's process keeps the file open
for as long as its cluster lives; the kernel drops the lock when the process exits, however it exits.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from conventions.errors import UserError

FIRST_PORT = 20000
"""Above Ray's worker ports (10002-19999) and under the kernel's ephemeral ports (32768 on), which a client's
connection could hold."""
BLOCK_PORTS = 64
BLOCKS = 150
"""Ports 20000 to 29599: under Serve's own default replica range (30000-31000), which a run outside Vigie uses."""
LEASES_DIR = "vigie-port-leases"
MAX_REPLICAS = (BLOCK_PORTS - 2) // 2
"""Each replica's port and a replacement's, which Serve keeps out of use for a while after a replica stopped."""


@dataclass(frozen=True)
class ServePorts:
    """A run's own: the fallback proxy's HTTP and gRPC ports, and the range its replicas serve HTTP on."""

    block: range

    def environment(self) -> dict[str, str]:
        """Serve's settings for them, read by its controller and proxies from the environment of the nodes."""
        return {
            "RAY_SERVE_FALLBACK_PROXY_HTTP_PORT": str(self.block[0]),
            "RAY_SERVE_FALLBACK_PROXY_GRPC_PORT": str(self.block[1]),
            "RAY_SERVE_DIRECT_INGRESS_MIN_HTTP_PORT": str(self.block[2]),
            "RAY_SERVE_DIRECT_INGRESS_MAX_HTTP_PORT": str(self.block[-1]),
        }


@contextlib.contextmanager
def leased_serve_ports(max_replicas: int, folder: Path | None = None) -> Iterator[ServePorts]:
    """The first block no other run holds, leased until the context exits."""
    if max_replicas > MAX_REPLICAS:
        raise UserError(
            f"vigie:serving.autoscaling.maxReplicas: a local run serves at most {MAX_REPLICAS} replicas "
            f"(got {max_replicas})"
        )
    folder = folder or Path(tempfile.gettempdir()) / LEASES_DIR
    folder.mkdir(mode=0o1777, exist_ok=True)
    for first in range(FIRST_PORT, FIRST_PORT + BLOCKS * BLOCK_PORTS, BLOCK_PORTS):
        fd = os.open(folder / f"{first}.lock", os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield ServePorts(range(first, first + BLOCK_PORTS))
        finally:
            os.close(fd)
        return
    raise UserError(f"{folder}: all {BLOCKS} blocks of Serve ports are leased by other local runs; stop one")

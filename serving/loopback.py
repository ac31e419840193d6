"""Keeping a local run on loopback. Ray's single-machine mode puts every Ray server on 127.0.0.1 except one:
Ray Serve 2.60 binds each replica's inter-deployment gRPC server to [::]:0 (ray/serve/_private/replica.py),
with no option. A local run sets VIGIE_LOOPBACK_ONLY=1, and its replicas bind that server to 127.0.0.1.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

LOOPBACK_ONLY_ENV = "VIGIE_LOOPBACK_ONLY"
_BINDER = "add_port_to_grpc_server"


def keep_replica_on_loopback() -> None:
    """In a replica of a local run, make Serve's inter-deployment gRPC server listen on 127.0.0.1 only."""
    if os.environ.get(LOOPBACK_ONLY_ENV) != "1":
        return
    from ray.serve._private import replica

    bind: Callable[[Any, str], int] = getattr(replica, _BINDER)
    if getattr(bind, "loopback_only", False):
        return

    def bind_loopback(server: Any, address: str) -> int:
        return bind(server, address.replace("[::]", "127.0.0.1"))

    setattr(bind_loopback, "loopback_only", True)  # noqa: B010
    setattr(replica, _BINDER, bind_loopback)

"""The pod and container security every workload Vigie defines runs with (the `restricted` Pod Security level)."""

from __future__ import annotations

from typing import Any

VIGIE_USER = 10001
"""The `vigie` user of the Vigie image (Dockerfile): above 10000, so it is no user of the node (checkov CKV_K8S_40)."""
VIGIE_GROUP = 100
"""`users`, the group of the rayproject/ray images' Python environment, which the vigie user reads."""
NOBODY = 65534
"""The user the Pushgateway image runs as."""


def pod_security(user: int, group: int) -> dict[str, Any]:
    """Non-root with a fixed uid, the runtime's default seccomp profile, volumes writable by the group."""
    return {
        "runAsNonRoot": True,
        "runAsUser": user,
        "runAsGroup": group,
        "fsGroup": group,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security(read_only_root: bool = True) -> dict[str, Any]:
    """No privilege, no escalation, no capabilities; the root filesystem read-only unless the process writes to it."""
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "privileged": False,
        "readOnlyRootFilesystem": read_only_root,
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }

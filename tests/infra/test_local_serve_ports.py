"""infra/local/serve_ports.py: two local runs never get the same Serve ports, a lease ends with its holder
however the holder ends, and a run that would need more ports than a block holds is refused."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

import pytest

from conventions.errors import UserError
from infra.local.serve_ports import BLOCK_PORTS, FIRST_PORT, MAX_REPLICAS, leased_serve_ports

HOLDER = """
import sys
from pathlib import Path
from infra.local.serve_ports import leased_serve_ports
with leased_serve_ports(2, Path(sys.argv[1])) as ports:
    print(ports.block.start, flush=True)
    sys.stdin.read()
"""
"""A run's process: holds its lease until killed (or its stdin closes)."""


def test_concurrent_leases_get_disjoint_blocks_and_a_released_block_is_leased_again(tmp_path: Path) -> None:
    with leased_serve_ports(2, tmp_path) as first, leased_serve_ports(MAX_REPLICAS, tmp_path) as second:
        assert (first.environment(), second.environment()) == (
            {
                "RAY_SERVE_FALLBACK_PROXY_HTTP_PORT": str(FIRST_PORT),
                "RAY_SERVE_FALLBACK_PROXY_GRPC_PORT": str(FIRST_PORT + 1),
                "RAY_SERVE_DIRECT_INGRESS_MIN_HTTP_PORT": str(FIRST_PORT + 2),
                "RAY_SERVE_DIRECT_INGRESS_MAX_HTTP_PORT": str(FIRST_PORT + BLOCK_PORTS - 1),
            },
            {
                "RAY_SERVE_FALLBACK_PROXY_HTTP_PORT": str(FIRST_PORT + BLOCK_PORTS),
                "RAY_SERVE_FALLBACK_PROXY_GRPC_PORT": str(FIRST_PORT + BLOCK_PORTS + 1),
                "RAY_SERVE_DIRECT_INGRESS_MIN_HTTP_PORT": str(FIRST_PORT + BLOCK_PORTS + 2),
                "RAY_SERVE_DIRECT_INGRESS_MAX_HTTP_PORT": str(FIRST_PORT + 2 * BLOCK_PORTS - 1),
            },
        )
    with leased_serve_ports(2, tmp_path) as again:
        assert again == first


def test_a_killed_holders_block_is_leased_to_no_one_while_it_lived_and_free_after(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        held = int(holder.stdout.readline())
        with leased_serve_ports(2, tmp_path) as beside:
            assert beside.block.start == held + BLOCK_PORTS
    finally:
        holder.kill()
        holder.wait(10)
    with leased_serve_ports(2, tmp_path) as after:
        assert after.block.start == held


def test_more_replicas_than_a_block_holds_are_refused_with_the_setting_named(tmp_path: Path) -> None:
    refused = r"^vigie:serving.autoscaling.maxReplicas: a local run serves at most 31 replicas \(got 32\)$"
    with pytest.raises(UserError, match=refused), contextlib.ExitStack() as leases:
        leases.enter_context(leased_serve_ports(MAX_REPLICAS + 1, tmp_path))
    assert list(tmp_path.iterdir()) == []

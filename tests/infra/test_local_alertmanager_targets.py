"""The file that tells the local Prometheus where its Alertmanagers are, against a real Prometheus (no
Alertmanager needs to answer: Prometheus lists what it discovered). About 15 s: each change reaches the
notifier within Prometheus's 5 s discovery update interval."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.local.alertmanager_targets import announce, write_targets
from infra.local.process import LOOPBACK, free_port, start, stop
from infra.serialize import to_yaml


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A Prometheus on loopback whose Alertmanagers are the file_sd file beside it (none listed at start)."""
    targets = tmp_path / "alertmanagers.json"
    write_targets(targets, [])
    config = tmp_path / "prometheus.yml"
    config.write_text(
        to_yaml({"alerting": {"alertmanagers": [{"file_sd_configs": [{"files": [str(targets)]}]}]}})
    )
    port = free_port()
    running = start("prometheus", ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
                                   f"--web.listen-address={LOOPBACK}:{port}"],
                    tmp_path / "prometheus.log", f"http://{LOOPBACK}:{port}/-/ready")  # fmt: skip
    try:
        yield running.url, targets
    finally:
        stop(running.pid)


def test_announce_returns_once_prometheus_sends_to_exactly_the_alertmanagers_listed(
    prometheus: tuple[str, Path],
) -> None:
    """restart's order (none of the restarted, then all of them at once) rests on it."""
    url, targets = prometheus
    first, second = free_port(), free_port()
    for ports in ([first, second], [first], []):
        announce(targets, ports, url)
        assert json.loads(targets.read_text()) == [{"targets": [f"{LOOPBACK}:{port}" for port in ports]}]
        with urllib.request.urlopen(f"{url}/api/v1/alertmanagers", timeout=5) as response:
            active = json.load(response)["data"]["activeAlertmanagers"]
        assert sorted(a["url"] for a in active) == sorted(
            f"http://{LOOPBACK}:{p}/api/v2/alerts" for p in ports
        )
    assert list(targets.parent.glob(".*.tmp")) == []

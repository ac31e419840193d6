"""The Alertmanagers the local Prometheus sends to, as a file_sd file it watches.

On Kubernetes, Prometheus discovers the Alertmanager pods from their Service's endpoints, which list a pod only
once it is ready: a pod starting sees no alert before it can take it. `vigie local restart` does the same with
this file: it lists a restarted Alertmanager again only once it is ready, and those restarted together all at
once, so that Prometheus's next resend of each alert reaches all of them in one batch. Alertmanagers that
group an alert from different batches flush out of step, and can notify its resolution twice (README,
"Deduplication")."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from conventions.errors import UserError
from infra.local.process import LOOPBACK

SEEN_WITHIN_S = 30.0
"""Prometheus reads a changed file at once (inotify), and its discovery manager hands the change to the
notifier within 5 s."""


def write_targets(path: Path, ports: Sequence[int]) -> None:
    """Whole or not at all (written beside, then renamed over: Prometheus never reads half a list)."""
    partial = path.with_name(f".{path.name}.tmp")
    partial.write_text(json.dumps([{"targets": [f"{LOOPBACK}:{port}" for port in ports]}]))
    os.replace(partial, path)


def announce(path: Path, ports: Sequence[int], prometheus_url: str) -> None:
    """List the Alertmanagers on `ports`, then wait until the Prometheus at `prometheus_url` sends to them
    and to no other."""
    write_targets(path, ports)
    wanted = {f"http://{LOOPBACK}:{port}/api/v2/alerts" for port in ports}
    deadline = time.monotonic() + SEEN_WITHIN_S
    while (seen := _sent_to(prometheus_url)) != wanted:
        if time.monotonic() > deadline:
            raise UserError(f"prometheus: still sends to {sorted(seen)} {SEEN_WITHIN_S:g}s after {path} listed "
                            f"{sorted(wanted)}")  # fmt: skip
        time.sleep(0.2)


def _sent_to(prometheus_url: str) -> set[str]:
    """The Alertmanager URLs Prometheus's notifier sends to now (an empty set while it does not answer)."""
    try:
        with urllib.request.urlopen(f"{prometheus_url}/api/v1/alertmanagers", timeout=5) as response:
            active = json.load(response)["data"]["activeAlertmanagers"]
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return set()
    return {str(alertmanager["url"]) for alertmanager in active}

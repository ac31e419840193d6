"""A real Alertmanager running a stack's generated routing, each receiver through its own integration, pointed at
the local stand-ins for Slack, PagerDuty, the mail server and webhooks (in a thread of the test process). Shared
by the routing tests of rules_src and infra."""

from __future__ import annotations

import json
import shutil
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from infra.local.deliveries import Delivery, by_receiver, read_deliveries
from infra.local.destinations import local_routing
from infra.local.endpoints import Endpoints
from infra.local.mailbox import read_mailbox
from infra.local.process import LOOPBACK, free_port, start, stop
from infra.serialize import to_yaml
from infra.settings.loader import read_config, stack_file
from rules_src.stack import Stack, build_stack
from tests.conftest import PROJECT_DIR

FAST = {"groupWait": "1s500ms", "groupInterval": "1s", "repeatInterval": "1h"}
FAST_EVALUATION = "1s"
"""The evaluation interval the short group timings sit between (two Alertmanagers' flushes must not fall on an
evaluation: infra.settings.validation); no Prometheus runs here, so nothing else reads it."""


def fast_routing(name: str, timing: dict[str, str] = FAST) -> Stack:
    """The committed stack `name` with short group timings, so notifications arrive within seconds."""
    values, secrets = read_config(stack_file(PROJECT_DIR, name))
    values["monitoring"] = {**values["monitoring"], "evaluationInterval": FAST_EVALUATION}
    routes = values["alerting"]["routes"]
    values["alerting"]["routes"] = {category: {**route, **timing} for category, route in routes.items()}
    return build_stack(name, values, secrets, "test")


@dataclass(frozen=True)
class RunningAlertmanager:
    url: str
    folder: Path
    stack: Stack
    endpoints: Endpoints

    def api(self, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path, data=data, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read() or b"null")

    def alert(self, name: str, **extra: Any) -> dict[str, Any]:
        """One of the stack's alerts as Prometheus would send it."""
        spec = self.stack.alerts.named(name)
        labels = {"alertname": name, **spec.labels(), **self.stack.alerts.scope.scoring_labels}
        return {"labels": labels, "annotations": {"summary": spec.summary()}, **extra}

    def deliveries(self) -> list[Delivery]:
        return read_deliveries(self.folder / "notifications")

    def delivered(self, receiver: str) -> set[str]:
        """Alert names of the firing notifications `receiver` has delivered."""
        return {a for d in by_receiver(self.deliveries()).get(receiver, []) for a in d.alertnames}

    def mailbox(self, address: str) -> list[EmailMessage]:
        return read_mailbox(self.folder / "mailbox", address)


@contextmanager
def running_alertmanager(stack: Stack, folder: Path) -> Iterator[RunningAlertmanager]:
    binary = shutil.which("prometheus-alertmanager")
    assert binary, "Debian's prometheus-alertmanager package is required"
    http_port, smtp_port, port = free_port(), free_port(), free_port()
    config, directory = local_routing(stack.settings.alerting, folder, http_port, smtp_port)
    (folder / "alertmanager.yaml").write_text(to_yaml(config))
    endpoints = Endpoints(directory, folder / "notifications", folder / "mailbox", http_port, smtp_port)
    endpoints.serve_in_thread()
    argv = [binary, f"--config.file={folder / 'alertmanager.yaml'}", f"--storage.path={folder / 'data'}",
            f"--web.listen-address={LOOPBACK}:{port}", "--cluster.listen-address="]  # fmt: skip
    try:
        running = start(
            "alertmanager", argv, folder / "alertmanager.log", f"http://{LOOPBACK}:{port}/-/ready"
        )
        try:
            yield RunningAlertmanager(running.url, folder, stack, endpoints)
        finally:
            stop(running.pid)
    finally:
        endpoints.shutdown()


def wait_for(condition: Callable[[], object], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)

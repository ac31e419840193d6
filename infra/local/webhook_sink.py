"""A webhook sink standing in for Slack, PagerDuty and e-mail on the local stack: Alertmanager posts to
/<receiver>, and each notification is appended to <folder>/<receiver>.jsonl, so one can see which channel
would have been notified."""

from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from infra.local.process import LOOPBACK


def receiver_url(port: int, receiver: str) -> str:
    return f"http://{LOOPBACK}:{port}/{receiver}"


def read_notifications(path: Path) -> list[dict[str, Any]]:
    """The notifications recorded in one receiver's file, oldest first."""
    return [json.loads(line) for line in path.read_text().splitlines()] if path.is_file() else []


def alertnames(notifications: list[dict[str, Any]]) -> set[str]:
    return {alert["labels"]["alertname"] for n in notifications for alert in n["alerts"]}


class WebhookSink:
    """Records notifications per receiver; usable in a thread (tests) or as its own process."""

    def __init__(self, folder: Path, port: int = 0) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((LOOPBACK, port), self._handler())
        self.port = int(self._server.server_address[1])

    def url(self, receiver: str) -> str:
        return receiver_url(self.port, receiver)

    def alertnames(self, receiver: str) -> set[str]:
        with self._lock:
            return alertnames(read_notifications(self.folder / f"{receiver}.jsonl"))

    def serve_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self._server.serve_forever, name="webhook-sink", daemon=True)
        thread.start()
        return thread

    def shutdown(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _record(self, receiver: str, body: bytes) -> None:
        payload = json.loads(body)
        with self._lock, (self.folder / f"{receiver}.jsonl").open("a") as out:
            out.write(json.dumps(payload, sort_keys=True) + "\n")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver = self.path.strip("/")
                length = int(self.headers.get("Content-Length", "0"))
                if not receiver.replace("-", "").replace("_", "").isalnum():
                    self.send_error(404, "unknown receiver path")
                    return
                sink._record(receiver, self.rfile.read(length))
                self.send_response(200)
                self.end_headers()

            def do_GET(self) -> None:
                self.send_response(200 if self.path == "/-/ready" else 404)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="Record Alertmanager webhook notifications per receiver.")
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    WebhookSink(args.folder, args.port)._server.serve_forever()


if __name__ == "__main__":
    main()

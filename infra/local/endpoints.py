"""The local stack's stand-ins for the services Alertmanager notifies, on loopback: Slack's incoming webhooks and
its chat.postMessage method, PagerDuty's Events API v2, plain webhooks (the dead man's switch), and the mail
server (infra.local.mailbox). Each answers as the real service does, refusing what it would refuse (an unknown
webhook or token, an event missing a field PagerDuty requires), and records what it accepted per endpoint.

As at Slack, an incoming webhook posts to the channel it was created for and ignores the payload's `channel`;
a bot token posts to the channel the payload names."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

from infra.local.deliveries import (
    DeliveryLog,
    Directory,
    Status,
    pagerduty_service,
    slack_channel,
    titled,
    webhook_at,
)
from infra.local.mailbox import MailServer
from infra.local.process import LOOPBACK

SLACK_WEBHOOK_PATH = "/services/"
SLACK_POST_MESSAGE_PATH = "/api/chat.postMessage"
PAGERDUTY_PATH = "/v2/enqueue"
WEBHOOK_PATH = "/webhook/"
PAGERDUTY_SEVERITIES = ("critical", "error", "warning", "info")
PAGERDUTY_ACTIONS = ("trigger", "acknowledge", "resolve")
PAGERDUTY_SUMMARY_MAX = 1024
PAGERDUTY_DEDUP_KEY_MAX = 255
PAGERDUTY_ROUTING_KEY_LENGTH = 32


class Refused(Exception):
    """What the real service would answer to a request it refuses: an HTTP status and a body."""

    def __init__(self, status: int, body: str | dict[str, Any]) -> None:
        super().__init__(body if isinstance(body, str) else json.dumps(body))
        self.status = status
        self.body = body


Answer = tuple[int, str | dict[str, Any]]


class Accepted(NamedTuple):
    """A request the service accepted: what to record, and its answer."""

    endpoint: str
    """The endpoint's name, which names its record file."""
    destination: str
    via: str
    status: Status | None
    alertnames: list[str]
    body: dict[str, Any]
    answer: Answer


def slack_webhook_url(port: int, token: str) -> str:
    return f"http://{LOOPBACK}:{port}{SLACK_WEBHOOK_PATH}{token}"


def slack_api_url(port: int) -> str:
    return f"http://{LOOPBACK}:{port}{SLACK_POST_MESSAGE_PATH}"


def pagerduty_url(port: int) -> str:
    return f"http://{LOOPBACK}:{port}{PAGERDUTY_PATH}"


def webhook_url(port: int, receiver: str) -> str:
    return f"http://{LOOPBACK}:{port}{WEBHOOK_PATH}{receiver}"


def _slack_title(payload: dict[str, Any]) -> str:
    attachments = payload.get("attachments") or [{}]
    return str(attachments[0].get("title", ""))


def _has_slack_text(payload: dict[str, Any]) -> bool:
    return bool(payload.get("text") or payload.get("attachments") or payload.get("blocks"))


def slack_webhook(directory: Directory, token: str, payload: dict[str, Any]) -> Accepted:
    """An incoming webhook's post: it lands in the webhook's own channel."""
    hook = directory.slack_webhooks.get(token)
    if hook is None:
        raise Refused(404, "no_service")
    if not _has_slack_text(payload):
        raise Refused(400, "no_text")
    status, alertnames = titled(_slack_title(payload))
    via = f"incoming webhook {hook.secret}"
    return Accepted(f"slack-webhook-{hook.secret}", slack_channel(hook.channel), via, status, alertnames, payload,
                    (200, "ok"))  # fmt: skip


def slack_post_message(directory: Directory, authorization: str, payload: dict[str, Any]) -> Accepted:
    """chat.postMessage with a bot token: it lands in the channel the payload names, if the workspace has it.
    Slack answers 200 with `ok: false` to a refusal."""
    scheme, _, token = authorization.partition(" ")
    if scheme != "Bearer" or not token:
        raise Refused(200, {"ok": False, "error": "not_authed"})
    secret = directory.slack_bot_tokens.get(token)
    if secret is None:
        raise Refused(200, {"ok": False, "error": "invalid_auth"})
    channel = str(payload.get("channel", ""))
    if channel not in directory.slack_channels:
        raise Refused(200, {"ok": False, "error": "channel_not_found"})
    if not _has_slack_text(payload):
        raise Refused(200, {"ok": False, "error": "no_text"})
    status, alertnames = titled(_slack_title(payload))
    answer = {"ok": True, "channel": channel, "ts": f"{time.time():.6f}"}
    return Accepted("slack-chat.postMessage", slack_channel(channel), f"chat.postMessage with bot token {secret}",
                    status, alertnames, payload, (200, answer))  # fmt: skip


def _pagerduty_errors(directory: Directory, event: dict[str, Any]) -> list[str]:
    """What PagerDuty's Events API v2 would find wrong with `event` (its documented required fields)."""
    errors = []
    key = event.get("routing_key")
    if not isinstance(key, str) or len(key) != PAGERDUTY_ROUTING_KEY_LENGTH:
        errors.append(f"'routing_key' must be a {PAGERDUTY_ROUTING_KEY_LENGTH}-character string")
    elif key not in directory.pagerduty_keys:
        errors.append("Invalid routing key")
    action = event.get("event_action")
    if action not in PAGERDUTY_ACTIONS:
        errors.append(f"'event_action' must be one of {', '.join(PAGERDUTY_ACTIONS)}")
    dedup = event.get("dedup_key")
    if dedup is not None and (not isinstance(dedup, str) or not 0 < len(dedup) <= PAGERDUTY_DEDUP_KEY_MAX):
        errors.append(f"'dedup_key' must be a string of 1 to {PAGERDUTY_DEDUP_KEY_MAX} characters")
    if action in ("acknowledge", "resolve") and not dedup:
        errors.append(f"'dedup_key' is required to {action}")
    if action == "trigger":
        payload = event.get("payload")
        if not isinstance(payload, dict):
            return [*errors, "'payload' is missing or not an object"]
        summary = payload.get("summary")
        if not isinstance(summary, str) or not 0 < len(summary) <= PAGERDUTY_SUMMARY_MAX:
            errors.append(f"'payload.summary' must be a string of 1 to {PAGERDUTY_SUMMARY_MAX} characters")
        if not isinstance(payload.get("source"), str) or not payload["source"]:
            errors.append("'payload.source' is missing or blank")
        if payload.get("severity") not in PAGERDUTY_SEVERITIES:
            errors.append(f"'payload.severity' must be one of {', '.join(PAGERDUTY_SEVERITIES)}")
    return errors


def pagerduty_event(directory: Directory, event: dict[str, Any]) -> Accepted:
    """One Events API v2 event: a trigger opens (or updates) the incident of its dedup_key, a resolve closes it.
    Vigie's routing names the alert in `payload.class`."""
    errors = _pagerduty_errors(directory, event)
    if errors:
        raise Refused(
            400, {"status": "invalid event", "message": "Event object is invalid", "errors": errors}
        )
    secret = directory.pagerduty_keys[event["routing_key"]]
    payload = event.get("payload") or {}
    status: Status = "resolved" if event["event_action"] == "resolve" else "firing"
    names = [payload["class"]] if payload.get("class") else []
    answer = {"status": "success", "message": "Event processed", "dedup_key": event.get("dedup_key", "")}
    return Accepted(f"pagerduty-{secret}", pagerduty_service(secret), f"Events API v2 with routing key {secret}",
                    status, names, {k: v for k, v in event.items() if k != "routing_key"}, (202, answer))  # fmt: skip


def plain_webhook(directory: Directory, receiver: str, payload: dict[str, Any]) -> Accepted:
    """Alertmanager's webhook payload, as the endpoint its receiver names would get it."""
    if receiver not in directory.webhooks:
        raise Refused(404, "unknown webhook")
    names = sorted({alert["labels"]["alertname"] for alert in payload.get("alerts", [])})
    status = payload.get("status") if payload.get("status") in ("firing", "resolved") else None
    return Accepted(f"webhook-{receiver}", webhook_at(directory.webhooks[receiver]), "webhook", status, names,
                    payload, (200, ""))  # fmt: skip


class Endpoints:
    """The HTTP stand-ins on one port and the mail server on another; in a thread (tests) or a process."""

    def __init__(self, directory: Directory, folder: Path, mailbox: Path, port: int, smtp_port: int) -> None:
        self.directory = directory
        self.log = DeliveryLog(folder)
        self.mail = MailServer(directory, mailbox, self.log, smtp_port)
        self._server = ThreadingHTTPServer((LOOPBACK, port), self._handler())
        self.port = int(self._server.server_address[1])

    def serve_in_thread(self) -> threading.Thread:
        self.mail.start()
        serve = partial(self._server.serve_forever, poll_interval=0.05)  # so that shutdown() is quick
        thread = threading.Thread(target=serve, name="endpoints", daemon=True)
        thread.start()
        return thread

    def serve_forever(self) -> None:
        self.mail.start()
        self._server.serve_forever()

    def shutdown(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.mail.stop()

    def receive(self, path: str, authorization: str, payload: dict[str, Any]) -> Answer:
        """Judge and record one request as the service at `path` would; its answer (Refused when refused)."""
        if path.startswith(SLACK_WEBHOOK_PATH):
            accepted = slack_webhook(self.directory, path.removeprefix(SLACK_WEBHOOK_PATH), payload)
        elif path == SLACK_POST_MESSAGE_PATH:
            accepted = slack_post_message(self.directory, authorization, payload)
        elif path == PAGERDUTY_PATH:
            accepted = pagerduty_event(self.directory, payload)
        elif path.startswith(WEBHOOK_PATH):
            accepted = plain_webhook(self.directory, path.removeprefix(WEBHOOK_PATH), payload)
        else:
            raise Refused(404, "not found")
        self.log.record(accepted.endpoint, {
            "destination": accepted.destination,
            "via": accepted.via,
            "receivers": self.directory.delivering(accepted.destination),
            "status": accepted.status,
            "alertnames": accepted.alertnames,
            "body": accepted.body,
        })  # fmt: skip
        return accepted.answer

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        endpoints = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    payload = json.loads(raw)
                    if not isinstance(payload, dict):
                        raise Refused(400, "invalid_payload")
                    status, body = endpoints.receive(
                        self.path, self.headers.get("Authorization", ""), payload
                    )
                except json.JSONDecodeError:
                    status, body = 400, "invalid_payload"
                except Refused as refused:
                    status, body = refused.status, refused.body
                    print(
                        f"refused {self.path.split('/')[1]} request: {refused}", file=sys.stderr, flush=True
                    )
                self._answer(status, body)

            def do_GET(self) -> None:
                self._answer(200 if self.path == "/-/ready" else 404, "")

            def _answer(self, status: int, body: str | dict[str, Any]) -> None:
                data = (json.dumps(body) if isinstance(body, dict) else body).encode()
                kind = "application/json; charset=utf-8" if isinstance(body, dict) else "text/html"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="Stand in for Slack, PagerDuty, webhooks and a mail server.")
    parser.add_argument("--directory", type=Path, required=True, help="what the services were set up with")
    parser.add_argument("--folder", type=Path, required=True, help="where deliveries are recorded")
    parser.add_argument("--mailbox", type=Path, required=True, help="the Maildirs, one per recipient")
    parser.add_argument("--port", type=int, required=True, help="HTTP: Slack, PagerDuty and webhooks")
    parser.add_argument("--smtp-port", type=int, required=True)
    args = parser.parse_args()
    directory = Directory.model_validate_json(args.directory.read_text())
    Endpoints(directory, args.folder, args.mailbox, args.port, args.smtp_port).serve_forever()


if __name__ == "__main__":
    main()

"""What the local stack's stand-ins for Slack, PagerDuty, the mail server and webhooks were set up with (the
directory), and what each of them received (one delivery per notification, appended to one file per endpoint).

A delivery names its real destination (a Slack channel, a PagerDuty service, a mailbox, a webhook URL) and the
receivers of the settings that deliver there, so a test can ask both "which channel got it" and "which receiver
sent it"."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

DIRECTORY_FILE = "endpoints.json"
Status = Literal["firing", "resolved"]
_TITLE_RE = re.compile(r"^\[(FIRING|RESOLVED)(?::\d+)?\] (\S+)")
"""Vigie's Slack title and mail subject (rules_src.alertmanager `_TITLE`): the status, then the alert name."""


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SlackWebhook(Frozen):
    secret: str
    """The secret config key that holds this webhook's URL."""
    channel: str
    """The channel it was created for: Slack posts there whatever the payload's `channel` says."""


class Directory(Frozen):
    """What one would have set up at each service: webhooks and their channels, bot tokens, routing keys, SMTP
    logins, and which receivers deliver to each destination. Holds the local credentials: it stays in the
    run folder."""

    slack_webhooks: dict[str, SlackWebhook] = {}
    """By the token in the webhook's URL path."""
    slack_bot_tokens: dict[str, str] = {}
    """Bot token → the secret config key holding it."""
    slack_channels: list[str] = []
    """The workspace's channels, which the bot has joined."""
    pagerduty_keys: dict[str, str] = {}
    """Routing key (a PagerDuty service's integration key) → the secret config key holding it."""
    smtp_logins: dict[str, list[str]] = {}
    """SMTP user → the passwords it may log in with."""
    webhooks: dict[str, str] = {}
    """Webhook receiver → the URL it stands for."""
    receivers: dict[str, list[str]] = {}
    """Destination (see `destination`) → the receivers that deliver there."""

    def delivering(self, destination: str) -> list[str]:
        return self.receivers.get(destination, [])


def slack_channel(channel: str) -> str:
    return f"Slack {channel}"


def pagerduty_service(secret: str) -> str:
    return f"PagerDuty service of routing key {secret}"


def mail_to(address: str) -> str:
    return f"mailbox {address}"


def webhook_at(url: str) -> str:
    return f"webhook {url}"


class Delivery(Frozen):
    """One notification as an endpoint received it."""

    destination: str
    """Where it landed: a Slack channel, a PagerDuty service, a mailbox, a webhook URL."""
    via: str
    """How: the webhook, token, routing key or login it came with (secret key names, never values)."""
    receivers: list[str]
    """The receivers of the settings that deliver to this destination."""
    status: Status | None
    """None for what is not an Alertmanager notification (a mail with another subject, e.g. a report)."""
    alertnames: list[str]
    received_at: float
    body: dict[str, Any]
    """The payload as received (for mail: its headers and Maildir key)."""


def titled(title: str) -> tuple[Status | None, list[str]]:
    """The status and alert name a Vigie title or subject states; (None, []) for any other text."""
    match = _TITLE_RE.match(title)
    if match is None:
        return None, []
    status: Status = "firing" if match.group(1) == "FIRING" else "resolved"
    return status, [match.group(2)]


class DeliveryLog:
    """Appends deliveries, one JSON line each, to one file per endpoint; safe across threads."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def record(self, endpoint: str, delivery: dict[str, Any]) -> Delivery:
        """`delivery`'s fields but the time of receipt, which is now."""
        done = Delivery(**delivery, received_at=time.time())
        with self._lock, (self.folder / f"{endpoint}.jsonl").open("a") as out:
            out.write(done.model_dump_json() + "\n")
        return done


def read_deliveries(folder: Path) -> list[Delivery]:
    """Every endpoint's deliveries, in the order they were received."""
    found = [
        Delivery.model_validate_json(line)
        for path in sorted(folder.glob("*.jsonl"))
        for line in path.read_text().splitlines()
        if line
    ]
    return sorted(found, key=lambda d: d.received_at)


def by_receiver(deliveries: list[Delivery]) -> dict[str, list[Delivery]]:
    """The firing notifications each receiver delivered, oldest first; a destination that several receivers
    deliver to counts for each of them."""
    found: dict[str, list[Delivery]] = {}
    for delivery in deliveries:
        if delivery.status == "firing":
            for receiver in delivery.receivers:
                found.setdefault(receiver, []).append(delivery)
    return dict(sorted(found.items()))

"""Each receiver's real integration on the local stack: the stack's generated Alertmanager routing, pointed at
the local stand-ins (infra.local.endpoints), with a local credential in each secret file it reads.

One local webhook URL is made per webhook secret, for the channel its receivers name (settings allow one
channel per webhook), so the stand-in posts where the real webhook would. Credentials are random per run and
stay in the run folder (`secrets/`, and the stand-ins' `endpoints.json`)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from infra.local import endpoints
from infra.local.deliveries import (
    Directory,
    SlackWebhook,
    mail_to,
    pagerduty_service,
    slack_channel,
    webhook_at,
)
from infra.local.process import LOOPBACK
from infra.settings.model import Alerting, Receiver
from rules_src.alertmanager import LocalEndpoints, alertmanager_config, with_local_endpoints

SECRETS_DIR = "secrets"


@dataclass
class _Setup:
    """What is being set up: each secret file's content, and the stand-ins' directory as it grows."""

    http_port: int
    files: dict[str, str] = field(default_factory=dict)
    webhooks: dict[str, SlackWebhook] = field(default_factory=dict)
    bot_tokens: dict[str, str] = field(default_factory=dict)
    channels: set[str] = field(default_factory=set)
    routing_keys: dict[str, str] = field(default_factory=dict)
    logins: dict[str, list[str]] = field(default_factory=dict)
    plain: dict[str, str] = field(default_factory=dict)
    receivers: dict[str, list[str]] = field(default_factory=dict)

    def credential(self, secret: str, make: str) -> str:
        """The secret's local value, made once whoever reads it."""
        return self.files.setdefault(secret, make)

    def add(self, name: str, receiver: Receiver) -> None:
        destination = None
        if receiver.slack is not None:
            slack = receiver.slack
            destination = slack_channel(slack.channel)
            self.channels.add(slack.channel)
            if slack.webhook_url_secret is not None:
                made = endpoints.slack_webhook_url(self.http_port, secrets.token_urlsafe(18))
                url = self.credential(slack.webhook_url_secret, made)
                hook = SlackWebhook(secret=slack.webhook_url_secret, channel=slack.channel)
                self.webhooks.setdefault(url.rsplit("/", 1)[1], hook)
            if slack.bot_token_secret is not None:
                token = self.credential(slack.bot_token_secret, f"xoxb-local-{secrets.token_hex(12)}")
                self.bot_tokens[token] = slack.bot_token_secret
        if receiver.pagerduty is not None:
            secret = receiver.pagerduty.routing_key_secret
            self.routing_keys[self.credential(secret, secrets.token_hex(16))] = secret
            destination = pagerduty_service(secret)
        if receiver.email is not None:
            password = self.credential(receiver.email.password_secret, secrets.token_urlsafe(12))
            self.logins.setdefault(receiver.email.username, []).append(password)
            destination = mail_to(receiver.email.to)
        if receiver.webhook is not None:
            self.plain[name] = str(receiver.webhook.url)
            destination = webhook_at(str(receiver.webhook.url))
        if destination is not None:
            self.receivers.setdefault(destination, []).append(name)

    def directory(self) -> Directory:
        return Directory(
            slack_webhooks=self.webhooks,
            slack_bot_tokens=self.bot_tokens,
            slack_channels=sorted(self.channels),
            pagerduty_keys=self.routing_keys,
            smtp_logins=self.logins,
            webhooks=self.plain,
            receivers=self.receivers,
        )


def local_routing(
    alerting: Alerting, run_dir: Path, http_port: int, smtp_port: int
) -> tuple[dict[str, Any], Directory]:
    """The stack's Alertmanager configuration for the local stand-ins, and what they must know; writes each
    credential into `<run_dir>/secrets/<key>`, where the configuration reads it."""
    setup = _Setup(http_port)
    for name, receiver in sorted(alerting.receivers.items()):
        setup.add(name, receiver)
    folder = run_dir / SECRETS_DIR
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for key, value in setup.files.items():
        path = folder / key
        path.touch(mode=0o600)
        path.write_text(value)  # no newline: Alertmanager 0.25 reads the SMTP password file untrimmed
    local = LocalEndpoints(
        slack_api_url=endpoints.slack_api_url(http_port),
        pagerduty_url=endpoints.pagerduty_url(http_port),
        smarthost=f"{LOOPBACK}:{smtp_port}",
        webhook_url=partial(endpoints.webhook_url, http_port),
    )
    config = with_local_endpoints(alertmanager_config(alerting, str(folder.resolve())), local)
    return config, setup.directory()

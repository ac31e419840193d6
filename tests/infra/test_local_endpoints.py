"""The local stand-ins answer as the services do: what Slack, PagerDuty or the mail server would refuse is
refused (and recorded nowhere), and an incoming webhook posts to its own channel whatever the payload says."""

from __future__ import annotations

import json
import smtplib
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from infra.local.deliveries import Directory, SlackWebhook, read_deliveries, slack_channel
from infra.local.endpoints import (
    PAGERDUTY_PATH,
    SLACK_POST_MESSAGE_PATH,
    SLACK_WEBHOOK_PATH,
    Endpoints,
)
from infra.local.mailbox import read_mailbox
from infra.local.process import LOOPBACK, free_port

KEY = "k" * 32
TOKEN = "xoxb-local-token"
DIRECTORY = Directory(
    slack_webhooks={"hook": SlackWebhook(secret="opsCriticalUrl", channel="#OPS-CRITICAL")},
    slack_bot_tokens={TOKEN: "botToken"},
    slack_channels=["#OPS-ALERTS", "#OPS-CRITICAL"],
    pagerduty_keys={KEY: "routingKey"},
    smtp_logins={"alertmanager": ["s3cret"]},
    receivers={slack_channel("#OPS-CRITICAL"): ["slack-ops-critical"]},
)
TRIGGER = {"routing_key": KEY, "event_action": "trigger", "dedup_key": "d" * 64,
           "payload": {"summary": "API error rate above 5%", "source": "Alertmanager", "severity": "critical"}}  # fmt: skip
POST = {"channel": "#OPS-ALERTS", "attachments": [{"title": "[FIRING:1] LatencyP95High", "text": "…"}]}


@pytest.fixture
def endpoints(tmp_path: Path) -> Iterator[Endpoints]:
    running = Endpoints(DIRECTORY, tmp_path / "notifications", tmp_path / "mailbox", 0, free_port())
    running.serve_in_thread()
    try:
        yield running
    finally:
        running.shutdown()


def _post(endpoints: Endpoints, path: str, body: dict[str, Any], token: str = "") -> tuple[int, Any]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(
        f"http://{LOOPBACK}:{endpoints.port}{path}", json.dumps(body).encode(), headers
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            status, raw = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read().decode()
    return status, json.loads(raw) if raw.startswith("{") else raw


def _invalid(*errors: str) -> dict[str, Any]:
    return {"status": "invalid event", "message": "Event object is invalid", "errors": list(errors)}


REFUSED = {
    "an unknown Slack webhook": (SLACK_WEBHOOK_PATH + "nope", POST, "", 404, "no_service"),
    "a Slack webhook post without text": (SLACK_WEBHOOK_PATH + "hook", {"channel": "#x"}, "", 400, "no_text"),
    "chat.postMessage without a token": (SLACK_POST_MESSAGE_PATH, POST, "", 200,
                                         {"ok": False, "error": "not_authed"}),
    "chat.postMessage with a wrong token": (SLACK_POST_MESSAGE_PATH, POST, "xoxb-wrong", 200,
                                            {"ok": False, "error": "invalid_auth"}),
    "chat.postMessage to a channel the workspace lacks": (
        SLACK_POST_MESSAGE_PATH, {**POST, "channel": "#nowhere"}, TOKEN, 200,
        {"ok": False, "error": "channel_not_found"}),
    "a PagerDuty event for an unknown routing key": (PAGERDUTY_PATH, {**TRIGGER, "routing_key": "x" * 32}, "",
                                                     400, _invalid("Invalid routing key")),
    "a PagerDuty trigger with a severity it lacks": (
        PAGERDUTY_PATH, {**TRIGGER, "payload": {**TRIGGER["payload"], "severity": "none"}}, "", 400,
        _invalid("'payload.severity' must be one of critical, error, warning, info")),
    "a PagerDuty trigger without a summary": (
        PAGERDUTY_PATH, {**TRIGGER, "payload": {**TRIGGER["payload"], "summary": ""}}, "", 400,
        _invalid("'payload.summary' must be a string of 1 to 1024 characters")),
    "a PagerDuty resolve without a dedup_key": (
        PAGERDUTY_PATH, {"routing_key": KEY, "event_action": "resolve"}, "", 400,
        _invalid("'dedup_key' is required to resolve")),
    "a PagerDuty event with an unknown action": (PAGERDUTY_PATH, {**TRIGGER, "event_action": "page"}, "", 400,
                                                 _invalid("'event_action' must be one of trigger, acknowledge, resolve")),
}  # fmt: skip


@pytest.mark.parametrize(("path", "body", "token", "status", "answer"), REFUSED.values(), ids=REFUSED)
def test_what_the_service_would_refuse_is_refused_and_not_recorded(
    endpoints: Endpoints, path: str, body: dict[str, Any], token: str, status: int, answer: Any
) -> None:
    assert _post(endpoints, path, body, token) == (status, answer)
    assert read_deliveries(endpoints.log.folder) == []


def test_an_incoming_webhook_posts_to_its_own_channel_whatever_the_payload_says(endpoints: Endpoints) -> None:
    assert _post(endpoints, SLACK_WEBHOOK_PATH + "hook", POST) == (200, "ok")
    (delivery,) = read_deliveries(endpoints.log.folder)
    assert (delivery.destination, delivery.receivers, delivery.status, delivery.alertnames) == (
        slack_channel("#OPS-CRITICAL"), ["slack-ops-critical"], "firing", ["LatencyP95High"]
    )  # fmt: skip
    assert delivery.body["channel"] == "#OPS-ALERTS"


def test_chat_post_message_posts_to_the_channel_it_names(endpoints: Endpoints) -> None:
    status, answer = _post(endpoints, SLACK_POST_MESSAGE_PATH, POST, TOKEN)
    assert (status, answer["ok"], answer["channel"]) == (200, True, "#OPS-ALERTS")
    (delivery,) = read_deliveries(endpoints.log.folder)
    assert (delivery.destination, delivery.via) == (
        slack_channel("#OPS-ALERTS"),
        "chat.postMessage with bot token botToken",
    )


def _mail(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "alertmanager@x.internal", to, "weekly report"
    message.set_content("body")
    return message


def test_the_mail_server_refuses_a_wrong_password_and_keeps_what_a_login_sends(endpoints: Endpoints) -> None:
    with smtplib.SMTP(LOOPBACK, endpoints.mail.port, timeout=5) as client:
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            client.login("alertmanager", "wrong")
        assert refused.value.smtp_code == 535
        with pytest.raises(smtplib.SMTPSenderRefused):
            client.send_message(_mail("a@x.internal"))
        client.login("alertmanager", "s3cret")
        client.send_message(_mail("a@x.internal"))
    (kept,) = read_mailbox(endpoints.log.folder.parent / "mailbox", "a@x.internal")
    assert (kept["Subject"], kept.get_content().strip()) == ("weekly report", "body")
    (delivery,) = read_deliveries(endpoints.log.folder)
    assert (delivery.via, delivery.status, delivery.alertnames) == ("SMTP as alertmanager", None, [])

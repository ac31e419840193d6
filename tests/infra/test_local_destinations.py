"""Each receiver through its own integration: a real Alertmanager running a committed stack's generated routing,
only its endpoints local, delivers each alert to the destination the settings name (the PagerDuty service, the
Slack channel of the receiver's own webhook or the channel its bot token names, the business mailbox, the dead
man's switch), in the payloads, templates and SMTP dialogue Alertmanager itself produces."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.local.deliveries import Delivery, mail_to, pagerduty_service, slack_channel, webhook_at
from infra.local.destinations import SECRETS_DIR, local_routing
from rules_src.alertmanager import alertmanager_config
from rules_src.stack import load_stack
from tests.alertmanager_fixtures import RunningAlertmanager, fast_routing, running_alertmanager, wait_for
from tests.conftest import PROJECT_DIR, STACKS

PAGE, WARNING, BUSINESS, DRIFT = (
    "ApiErrorRateCritical",
    "LatencyP95High",
    "CreditRefusalRateHigh",
    "DataDriftDetected",
)
PROD_PAGER = pagerduty_service("pagerdutyRoutingKey")
PROD_MAILBOX = "credit-risk@scoring.internal"


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningAlertmanager]:
    with running_alertmanager(fast_routing("prod"), tmp_path_factory.mktemp("prod")) as running:
        yield running


def _firing_by_destination(deliveries: list[Delivery]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for delivery in deliveries:
        if delivery.status == "firing":
            found.setdefault(delivery.destination, set()).update(delivery.alertnames)
    return found


def test_each_prod_destination_is_reached_by_its_own_integration(prod: RunningAlertmanager) -> None:
    prod.api("/api/v2/alerts", [prod.alert(name) for name in (PAGE, WARNING, BUSINESS, DRIFT, "Watchdog")])
    expected = {
        PROD_PAGER: {PAGE},
        slack_channel("#OPS-CRITICAL"): {PAGE},
        slack_channel("#OPS-ALERTS"): {WARNING},
        slack_channel("#MLOps-Alerts"): {DRIFT},
        mail_to(PROD_MAILBOX): {BUSINESS},
        webhook_at("https://deadman.scoring.internal/ping/vigie-prod"): {"Watchdog"},
    }
    wait_for(lambda: set(_firing_by_destination(prod.deliveries())) >= set(expected))
    time.sleep(2)  # a couple of group intervals, in case anything else were to arrive
    assert _firing_by_destination(prod.deliveries()) == expected
    via = {d.destination: d.via for d in prod.deliveries()}
    assert via[slack_channel("#OPS-CRITICAL")] == "incoming webhook slackOpsCriticalWebhookUrl"
    assert via[slack_channel("#OPS-ALERTS")] == "incoming webhook slackOpsAlertsWebhookUrl"
    assert via[slack_channel("#MLOps-Alerts")] == "incoming webhook slackMlopsWebhookUrl"
    assert via[PROD_PAGER] == "Events API v2 with routing key pagerdutyRoutingKey"
    assert via[mail_to(PROD_MAILBOX)] == "SMTP as alertmanager"

    (page,) = [d for d in prod.deliveries() if d.destination == PROD_PAGER]
    summary = prod.stack.alerts.named(PAGE).summary()
    assert page.body["event_action"] == "trigger"
    assert re.fullmatch(r"[0-9a-f]{64}", page.body["dedup_key"])
    assert {k: page.body["payload"][k] for k in ("summary", "severity", "class", "component", "group")} == {
        "summary": summary, "severity": "critical", "class": PAGE, "component": "scoring", "group": "scoring",
    }  # fmt: skip
    (mail,) = prod.mailbox(PROD_MAILBOX)
    assert mail["Subject"] == f"[FIRING:1] {BUSINESS} - {prod.stack.alerts.named(BUSINESS).summary()}"
    assert (mail["From"], mail["To"]) == ("alertmanager@scoring.internal", PROD_MAILBOX)
    html = mail.get_body(("html",))
    assert html is not None and BUSINESS in html.get_content()


def test_a_resolved_page_resolves_its_pagerduty_incident(prod: RunningAlertmanager) -> None:
    """PagerDuty keys an incident by dedup_key: the resolve event must carry the trigger's."""
    name = "LatencyP99Critical"
    pages = lambda: [d for d in prod.deliveries() if d.destination == PROD_PAGER and name in d.alertnames]  # noqa: E731
    prod.api("/api/v2/alerts", [prod.alert(name)])
    wait_for(lambda: pages())
    prod.api("/api/v2/alerts", [prod.alert(name, endsAt=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))])
    wait_for(lambda: [d.status for d in pages()] == ["firing", "resolved"])
    trigger, resolve = pages()
    assert (trigger.body["event_action"], resolve.body["event_action"]) == ("trigger", "resolve")
    assert resolve.body["dedup_key"] == trigger.body["dedup_key"]
    posts = [d.status for d in prod.deliveries() if d.destination == slack_channel("#OPS-CRITICAL")
             and name in d.alertnames]  # fmt: skip
    assert posts == ["firing", "resolved"]


def test_a_bot_token_posts_to_the_channel_each_receiver_names(tmp_path: Path) -> None:
    """Staging's three channels share one Slack app: chat.postMessage with its token honours `channel`."""
    with running_alertmanager(fast_routing("staging"), tmp_path) as staging:
        staging.api("/api/v2/alerts", [staging.alert(name) for name in (PAGE, WARNING, DRIFT)])
        expected = {
            slack_channel("#staging-ops-critical"): {PAGE},
            slack_channel("#staging-ops-alerts"): {WARNING},
            slack_channel("#staging-mlops-alerts"): {DRIFT},
        }
        wait_for(lambda: _firing_by_destination(staging.deliveries()) == expected)
        assert {d.via for d in staging.deliveries()} == {"chat.postMessage with bot token slackBotToken"}
        assert {d.destination: d.receivers for d in staging.deliveries()} == {
            slack_channel("#staging-ops-critical"): ["slack-ops-critical"],
            slack_channel("#staging-ops-alerts"): ["slack-ops-alerts"],
            slack_channel("#staging-mlops-alerts"): ["slack-mlops-alerts"],
        }


LOCAL_ONLY = {"slack_configs": {"api_url"}, "pagerduty_configs": {"url"},
              "email_configs": {"smarthost", "require_tls"}, "webhook_configs": {"url"}}  # fmt: skip
"""The only fields a local run changes: where each integration posts."""


@pytest.mark.parametrize("name", STACKS)
def test_the_local_routing_is_the_generated_one_but_for_the_endpoints(name: str, tmp_path: Path) -> None:
    """Same tree, inhibition, receivers, integrations and templates; each credential file holds a local value."""
    alerting = load_stack(PROJECT_DIR, name).settings.alerting
    local, _ = local_routing(alerting, tmp_path, 1, 2)
    generated = alertmanager_config(alerting, str((tmp_path / SECRETS_DIR).resolve()))
    assert {k: v for k, v in local.items() if k != "receivers"} == {
        k: v for k, v in generated.items() if k != "receivers"
    }
    changed = set()
    for mine, theirs in zip(local["receivers"], generated["receivers"], strict=True):
        assert mine.keys() == theirs.keys()
        for kind in set(mine) - {"name"}:
            for ours, real in zip(mine[kind], theirs[kind], strict=True):
                assert ours.keys() - real.keys() <= LOCAL_ONLY[kind]
                changed |= {(kind, k) for k in ours if ours[k] != real.get(k)}
    assert changed <= {(kind, k) for kind, keys in LOCAL_ONLY.items() for k in keys}
    files = sorted(p.name for p in (tmp_path / SECRETS_DIR).iterdir())
    assert files == sorted(load_stack(PROJECT_DIR, name).secret_keys)
    assert {oct(p.stat().st_mode & 0o777) for p in (tmp_path / SECRETS_DIR).iterdir()} <= {"0o600"}

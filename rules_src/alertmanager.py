"""Alertmanager's configuration from the seed's category table (§4) and the stack's receivers.

Every Vigie alert carries a `category` label; each category routes to its receivers in order (all but the
last with `continue`, so P0 reaches both PagerDuty and #OPS-CRITICAL). Credentials are read from files that
the Kubernetes Secret mounts: the configuration never holds a secret value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conventions import contract as c
from conventions import routing
from conventions.routing import Category, Severity
from infra.settings.model import SLACK_POST_MESSAGE_URL, Alerting, Receiver, Route, Routes, Slack
from rules_src.alerts import availability
from rules_src.stack import Alerts

CREDENTIALS_SECRET = "vigie-alertmanager-credentials"
"""The Kubernetes Secret holding receiver credentials, one key per secret config key."""
CREDENTIALS_DIR = f"/etc/alertmanager/secrets/{CREDENTIALS_SECRET}"
"""Where kube-prometheus-stack mounts it (alertmanager.alertmanagerSpec.secrets)."""

ROUTE_ORDER = (
    Category.WATCHDOG,
    Category.URGENT,
    Category.ML_DEGRADATION,
    Category.RESOURCE,
    Category.SERVICE_HEALTH,
    Category.BUSINESS,
)
GROUP_BY = [routing.ALERTNAME, c.NAMESPACE, routing.SERVICE, c.STACK]
FAMILY_EQUAL = [c.NAMESPACE, routing.SERVICE, routing.FAMILY]
"""A critical Vigie alert mutes the warning and info alerts of the same service and alert family."""
NAME_EQUAL = [c.NAMESPACE, routing.ALERTNAME]
"""Any critical alert mutes the warning and info alerts of its own name and namespace, as the chart's own
rules do (its alerts come in severities of one name and carry no family)."""
_PRESENT = '=~".+"'
"""A matcher suffix for a label that must be there: in `equal`, two alerts lacking a label compare equal."""

_TITLE = '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }}'
"""A Slack post's title and the start of a mail's subject: the status, then the group's one alert name (every
group is by alertname), which is what the local stack's endpoints read from each notification."""
_SUBJECT = f"{_TITLE}{{{{ with .CommonAnnotations.summary }}}} - {{{{ . }}}}{{{{ end }}}}"
_TEXT = (
    "{{ range .Alerts }}*{{ .Annotations.summary }}* ({{ .Labels.severity }})\n"
    "{{ .Annotations.description }}\n"
    "Runbook: {{ .Annotations.runbook_url }} | Dashboard: {{ .Annotations.dashboard_url }}\n{{ end }}"
)
_PAGE_SUMMARY = "{{ with .CommonAnnotations.summary }}{{ . }}{{ else }}{{ .CommonLabels.alertname }}{{ end }}"
"""PagerDuty refuses an event without a summary: a chart alert without one, or a group whose alerts' summaries
differ, is summarised by its alert name."""
_PAGERDUTY_EVENT_FIELDS = {
    "class": "{{ .CommonLabels.alertname }}",
    "component": "{{ .CommonLabels.service }}",
    "group": "{{ .CommonLabels.namespace }}",
}
"""PagerDuty's event fields for the kind of problem (every group holds one alert name), the service and its
namespace: the incident shows what fired without opening its details."""


def alertmanager_config(alerting: Alerting, credentials_dir: str = CREDENTIALS_DIR) -> dict[str, Any]:
    """The routing tree, inhibition and receivers of one stack: a function of its alerting settings only."""
    routes = alerting.routes.by_category()
    default = alerting.routes.default
    children = [route for category in ROUTE_ORDER for route in _category_routes(category, routes[category])]
    children += _uncategorised_critical_routes(routes[Category.URGENT])
    if len(default.receivers) > 1:
        children += [_route(name, [], default, last=i == len(default.receivers) - 1)
                     for i, name in enumerate(default.receivers)]  # fmt: skip
    return {
        "global": {"resolve_timeout": "5m"},
        "route": {
            "receiver": default.receivers[0],
            "group_by": GROUP_BY,
            **_timing(default),
            "routes": children,
        },
        "inhibit_rules": _inhibit_rules(),
        "receivers": [
            _receiver(name, receiver, credentials_dir)
            for name, receiver in sorted(alerting.receivers.items())
        ],
    }


def _inhibit_rules() -> list[dict[str, Any]]:
    """A page mutes the warnings of its family only among alerts that carry the family and service labels,
    any page mutes the warnings of its own name, and a dead service mutes its other availability alerts
    (fewer replicas, application not running, no traffic), which are its symptoms."""
    critical = f'{routing.SEVERITY}="{Severity.CRITICAL.value}"'
    lesser = f'{routing.SEVERITY}=~"{Severity.WARNING.value}|{Severity.INFO.value}"'
    labelled = [f"{routing.FAMILY}{_PRESENT}", f"{routing.SERVICE}{_PRESENT}"]
    down = availability.SCORING_DOWN.name
    symptoms = [f'{routing.FAMILY}="{availability.SCORING_DOWN.family}"', f'{routing.ALERTNAME}!="{down}"']
    return [
        {
            "source_matchers": [critical, *labelled],
            "target_matchers": [lesser, *labelled],
            "equal": FAMILY_EQUAL,
        },
        {"source_matchers": [critical], "target_matchers": [lesser], "equal": NAME_EQUAL},
        {
            "source_matchers": [f'{routing.ALERTNAME}="{down}"'],
            "target_matchers": symptoms,
            "equal": FAMILY_EQUAL,
        },
    ]


def _uncategorised_critical_routes(urgent: Route) -> list[dict[str, Any]]:
    """Alerts without a Vigie category (the chart's own) are routed by severity: a critical one reaches the
    urgent receivers, with the urgent route's timing; the others fall through to the default receivers."""
    matchers = [f'{routing.CATEGORY}=""', f'{routing.SEVERITY}="{Severity.CRITICAL.value}"']
    last = len(urgent.receivers) - 1
    return [_route(name, matchers, urgent, last=i == last) for i, name in enumerate(urgent.receivers)]


def _category_routes(category: Category, route: Route) -> list[dict[str, Any]]:
    matchers = [f'{routing.CATEGORY}="{category.value}"']
    last = len(route.receivers) - 1
    return [_route(name, matchers, route, last=i == last) for i, name in enumerate(route.receivers)]


def _route(receiver: str, matchers: list[str], route: Route, last: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"receiver": receiver, "matchers": matchers, **_timing(route)}
    if not last:
        entry["continue"] = True
    return entry


def _timing(route: Route) -> dict[str, str]:
    return {
        "group_wait": str(route.group_wait),
        "group_interval": str(route.group_interval),
        "repeat_interval": str(route.repeat_interval),
    }


def _receiver(name: str, receiver: Receiver, credentials_dir: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name}
    if receiver.slack:
        entry["slack_configs"] = [{
            **_slack_credential(receiver.slack, credentials_dir),
            "channel": receiver.slack.channel,
            "send_resolved": True,
            "title": _TITLE,
            "text": _TEXT,
        }]  # fmt: skip
    if receiver.pagerduty:
        entry["pagerduty_configs"] = [{
            "routing_key_file": f"{credentials_dir}/{receiver.pagerduty.routing_key_secret}",
            "send_resolved": True,
            "severity": "{{ .CommonLabels.severity }}",
            "description": _PAGE_SUMMARY,
            **_PAGERDUTY_EVENT_FIELDS,
        }]  # fmt: skip
    if receiver.email:
        entry["email_configs"] = [{
            "to": receiver.email.to,
            "from": receiver.email.sender,
            "smarthost": receiver.email.smarthost,
            "auth_username": receiver.email.username,
            "auth_password_file": f"{credentials_dir}/{receiver.email.password_secret}",
            "require_tls": True,
            "send_resolved": False,
            "headers": {"Subject": _SUBJECT},
        }]  # fmt: skip
    if receiver.webhook:
        entry["webhook_configs"] = [{"url": str(receiver.webhook.url), "send_resolved": False}]
    return entry


def _slack_credential(slack: Slack, credentials_dir: str) -> dict[str, Any]:
    """A webhook's URL is the secret; a bot token goes in the Authorization header of chat.postMessage (the
    form both Alertmanager 0.25 and the chart's 0.34 accept; 0.34's own `app_token_file` is unknown to 0.25)."""
    if slack.webhook_url_secret is not None:
        return {"api_url_file": f"{credentials_dir}/{slack.webhook_url_secret}"}
    token = {"type": "Bearer", "credentials_file": f"{credentials_dir}/{slack.bot_token_secret}"}
    return {"api_url": SLACK_POST_MESSAGE_URL, "http_config": {"authorization": token}}


def expected_receivers(alerts: Alerts, routes: Routes) -> list[tuple[dict[str, str], list[str]]]:
    """The routing table to verify: each alert's labels and the receivers the category table names, plus
    chart-style alerts (no category): a critical one reaches the urgent receivers, a warning the default."""
    by_category = routes.by_category()
    table = [
        ({routing.ALERTNAME: a.name, **a.labels()}, list(by_category[a.spec.category].receivers))
        for a in alerts.enabled
    ]
    chart_page = {routing.ALERTNAME: "KubeAPIDown", routing.SEVERITY: Severity.CRITICAL.value}
    chart_warning = {
        routing.ALERTNAME: "KubePodCrashLooping",
        routing.SEVERITY: Severity.WARNING.value,
        c.NAMESPACE: "kube-system",
    }
    table.append((chart_page, list(by_category[Category.URGENT].receivers)))
    table.append((chart_warning, list(routes.default.receivers)))
    return table


@dataclass(frozen=True)
class LocalEndpoints:
    """Where a local stack's stand-ins for the SaaS listen (see `with_local_endpoints`)."""

    slack_api_url: str
    """Stands for chat.postMessage (bot tokens); webhook URLs are the secret files' content."""
    pagerduty_url: str
    """Stands for PagerDuty's Events API v2 (`https://events.pagerduty.com/v2/enqueue`)."""
    smarthost: str
    """A local SMTP server, spoken to without TLS."""
    webhook_url: Callable[[str], str]
    """The URL standing for a webhook receiver's, by receiver name."""


def with_local_endpoints(config: dict[str, Any], endpoints: LocalEndpoints) -> dict[str, Any]:
    """The same routing tree, inhibition, receivers and integrations, only pointed at local endpoints, so a
    local stack exercises Alertmanager's own Slack, PagerDuty and e-mail payloads, templates and SMTP dialogue.
    Credentials stay in files: the caller writes local values into the credentials folder."""

    def local(receiver: dict[str, Any]) -> dict[str, Any]:
        entry = dict(receiver)
        if "slack_configs" in entry:
            entry["slack_configs"] = [
                {**c, "api_url": endpoints.slack_api_url} if "api_url" in c else c
                for c in entry["slack_configs"]
            ]
        if "pagerduty_configs" in entry:
            entry["pagerduty_configs"] = [
                {**c, "url": endpoints.pagerduty_url} for c in entry["pagerduty_configs"]
            ]
        if "email_configs" in entry:
            entry["email_configs"] = [
                {**c, "smarthost": endpoints.smarthost, "require_tls": False} for c in entry["email_configs"]
            ]
        if "webhook_configs" in entry:
            url = endpoints.webhook_url(entry["name"])
            entry["webhook_configs"] = [{**c, "url": url} for c in entry["webhook_configs"]]
        return entry

    return {**config, "receivers": [local(r) for r in config["receivers"]]}

"""The resolved stack: the alerts slice builders read, its lookups and its links."""

from __future__ import annotations

import pytest

from infra.settings.types import BaseUrl
from rules_src.alerts import CATALOG
from rules_src.stack import Links, load_stack
from tests.conftest import PROJECT_DIR, STACKS


@pytest.mark.parametrize("name", STACKS)
def test_every_catalog_alert_is_resolved_in_catalog_order(name: str) -> None:
    alerts = load_stack(PROJECT_DIR, name).alerts
    assert [a.name for a in alerts.every] == [spec.name for spec in CATALOG]
    assert all(a.enabled for a in alerts.enabled)


def test_an_unknown_alert_name_is_a_key_error_naming_it() -> None:
    alerts = load_stack(PROJECT_DIR, "dev").alerts
    with pytest.raises(KeyError, match="stack dev: no alert named 'NoSuchAlert' in the catalog"):
        alerts.named("NoSuchAlert")


@pytest.mark.parametrize("base", ["https://runbooks.example/vigie", "https://runbooks.example/vigie/"])
def test_links_join_under_their_base_with_or_without_a_trailing_slash(base: str) -> None:
    alert = load_stack(PROJECT_DIR, "prod").alerts.named("LatencyP95High")
    links = Links(BaseUrl(base), BaseUrl("https://grafana.example/"))
    assert links.runbook(alert) == "https://runbooks.example/vigie/LatencyP95High.md"
    assert links.dashboard(alert) == "https://grafana.example/d/vigie-operations"

"""The resolved stack: the alerts slice builders read, its lookups and its links."""

from __future__ import annotations

import pytest

from infra.settings.errors import SettingsError
from infra.settings.loader import read_stack_file
from infra.settings.types import BaseUrl
from rules_src.alerts import CATALOG
from rules_src.stack import Links, build_stack, load_stack
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


@pytest.mark.parametrize(
    ("scheduler", "retry_delay", "for_", "refused"),
    [
        ("airflow", "19m", None, False),  # 2 * (19m + 40m) = 1h58m, below DriftJobFailed's 2h
        ("airflow", "20m", None, True),  # 2 * (20m + 40m) = 2h: pages as the last retry ends
        ("airflow", "20m", "2h1m", False),
        ("cronjob", None, None, False),  # the Job's deadline spans its retries: no retry delay to add
    ],
)
def test_airflow_retries_must_end_before_drift_job_failed_fires(
    scheduler: str, retry_delay: str | None, for_: str | None, refused: bool
) -> None:
    values, secrets = read_stack_file(PROJECT_DIR, "prod")
    drift = {**values["drift"], "scheduler": scheduler}
    if retry_delay is not None:
        drift["airflow"] = {"retryDelay": retry_delay}
    alerts = {**values.get("alerts", {}), **({"DriftJobFailed": {"for": for_}} if for_ else {})}
    edited = {**values, "drift": drift, "alerts": alerts}
    if not refused:
        assert build_stack("prod", edited, secrets, "Pulumi.prod.yaml").name == "prod"
        return
    with pytest.raises(
        SettingsError, match=r"^Pulumi.prod.yaml: vigie:drift\.airflow\.retryDelay: .* = 2h must"
    ):
        build_stack("prod", edited, secrets, "Pulumi.prod.yaml")

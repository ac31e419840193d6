"""High availability as the deployed chart renders it: the replicas the settings ask for, a clustered
Alertmanager, disruption budgets that keep one replica through a drain, and Prometheus replicas whose alerts
reach Alertmanager as one (the replica label dropped on sending), read from the values the chart merges."""

from __future__ import annotations

from typing import Any

from conventions import contract as c
from tests.infra.pulumi_run import Deployment
from tests.infra.reference import chart_defaults
from tests.infra.selection import merged

REPLICAS = {"dev": 1, "staging": 2, "prod": 2}
"""Prometheus and Alertmanager replicas per stack: dev stays single, the stacks that page run two of each."""


def _values(deployment: Deployment) -> dict[str, Any]:
    release = deployment.releases()["kube-prometheus-stack"]
    values: dict[str, Any] = merged(chart_defaults(release["chart"], release["version"]), release["values"])
    return values


def test_prod_and_staging_run_two_clustered_alertmanagers_and_two_prometheus(deployment: Deployment) -> None:
    """The operator clusters Alertmanager replicas by itself when there are more than one (a single replica
    runs with clustering off unless forced), so the replica count is what decides it."""
    values = _values(deployment)
    alertmanager, prometheus = values["alertmanager"], values["prometheus"]
    replicas = REPLICAS[deployment.stack]
    assert alertmanager["alertmanagerSpec"]["replicas"] == replicas
    assert prometheus["prometheusSpec"]["replicas"] == replicas
    assert alertmanager["alertmanagerSpec"]["forceEnableClusterMode"] is False
    assert alertmanager["alertmanagerSpec"]["additionalPeers"] == []
    for component in (alertmanager, prometheus):
        budget = component["podDisruptionBudget"]
        assert (budget["enabled"], budget["minAvailable"]) == (replicas > 1, 1)


def test_prometheus_replicas_alerts_reach_alertmanager_without_their_replica_label(
    deployment: Deployment,
) -> None:
    """Each replica's series carry the replica external label; the operator drops that label from the alerts
    it sends unless `replicaExternalLabelNameClear` is set, and points every replica at every Alertmanager pod
    (no `alertingEndpoints` of Vigie's: the chart's own Alertmanager service). The routing never groups or
    inhibits on the label, so even a label left on would not split notifications by replica."""
    spec = _values(deployment)["prometheus"]["prometheusSpec"]
    assert spec["replicaExternalLabelName"] == c.PROMETHEUS_REPLICA
    assert spec["replicaExternalLabelNameClear"] is False
    assert c.PROMETHEUS_REPLICA not in spec["externalLabels"]
    assert spec["alertingEndpoints"] == []
    config = deployment.releases()["kube-prometheus-stack"]["values"]["alertmanager"]["config"]
    routes = [config["route"], *config["route"]["routes"]]
    assert all(c.PROMETHEUS_REPLICA not in route.get("group_by", []) for route in routes)
    assert all(c.PROMETHEUS_REPLICA not in rule.get("equal", []) for rule in config["inhibit_rules"])

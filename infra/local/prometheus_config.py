"""Prometheus's configuration for the local stack: the stack's own rule file, and scrape jobs that give
local series the labels Kubernetes would (the scoring namespace), so the generated rules select them as is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conventions import contract as c
from infra.local.process import LOOPBACK
from rules_src.stack import Stack

RAY_JOB = "ray"
PUSHGATEWAY_JOB = "pushgateway"


def prometheus_config(
    stack: Stack, rules: Path, ray_metrics_port: int, pushgateway_port: int, alertmanager_port: int
) -> dict[str, Any]:
    monitoring = stack.settings.monitoring
    return {
        "global": {
            "scrape_interval": str(monitoring.scrape_interval),
            "evaluation_interval": str(monitoring.evaluation_interval),
            "external_labels": {c.STACK: stack.name},
        },
        "rule_files": [str(rules)],
        "alerting": {
            "alertmanagers": [{"static_configs": [{"targets": [f"{LOOPBACK}:{alertmanager_port}"]}]}]
        },
        "scrape_configs": [
            {
                "job_name": RAY_JOB,
                "static_configs": [
                    {
                        "targets": [f"{LOOPBACK}:{ray_metrics_port}"],
                        # The PodMonitor adds the namespace label on Kubernetes; here the target does.
                        "labels": {c.NAMESPACE: stack.settings.serving.namespace},
                    }
                ],
            },
            {
                "job_name": PUSHGATEWAY_JOB,
                "honor_labels": True,
                "static_configs": [{"targets": [f"{LOOPBACK}:{pushgateway_port}"]}],
            },
        ],
    }

"""Names and ports of what Vigie deploys, and the in-cluster endpoints users and other objects reach."""

from __future__ import annotations

from dataclasses import dataclass

from infra.settings.model import Monitoring, Serving

MONITORING_RELEASE = "vigie"
"""The kube-prometheus-stack release; also its fullnameOverride, so the chart names things vigie-…."""
KUBERAY_RELEASE = "kuberay-operator"
PROMETHEUS_SERVICE = f"{MONITORING_RELEASE}-prometheus"
PROMETHEUS_PORT = 9090
ALERTMANAGER_SERVICE = f"{MONITORING_RELEASE}-alertmanager"
ALERTMANAGER_PORT = 9093
GRAFANA_SERVICE = f"{MONITORING_RELEASE}-grafana"
"""The grafana subchart names its Service <release>-grafana."""
GRAFANA_PORT = 80
"""The grafana chart's Service port (service.port), in front of Grafana's 3000."""
GRAFANA_ADMIN_SECRET = "vigie-grafana-admin"
GRAFANA_ADMIN_USER = "admin"

RAY_SERVICE = "vigie-scoring"
SERVE_SERVICE = f"{RAY_SERVICE}-serve-svc"
"""KubeRay names a RayService's Serve Service <name>-serve-svc."""
SERVE_PORT = 8000
RAY_METRICS_PORT = 8080
"""Ray's metrics export port, KubeRay's default."""
RAY_DASHBOARD_PORT = 8265
"""Where KubeRay submits the Serve config and reads its status."""
RAY_DASHBOARD_AGENT_PORT = 52365
RAY_GCS_PORT = 6379
RAY_CLIENT_PORT = 10001

PUSHGATEWAY = "vigie-pushgateway"
PUSHGATEWAY_PORT = 9091
DRIFT_JOB = "vigie-drift"
DRIFT_SETTINGS = "vigie-drift-settings"
REPORT_JOB = "vigie-report"
REPORT_SETTINGS = "vigie-report-settings"
DATA_CLAIM = "vigie-data"


@dataclass(frozen=True)
class Endpoint:
    """A Service inside the cluster."""

    namespace: str
    service: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.service}.{self.namespace}.svc:{self.port}"

    def as_output(self) -> dict[str, str | int]:
        return {"namespace": self.namespace, "service": self.service, "port": self.port, "url": self.url}


def endpoints(monitoring: Monitoring, serving: Serving) -> dict[str, Endpoint]:
    """The services a user reaches with `kubectl port-forward` or an ingress, by role."""
    return {
        "grafana": Endpoint(monitoring.namespace, GRAFANA_SERVICE, GRAFANA_PORT),
        "alertmanager": Endpoint(monitoring.namespace, ALERTMANAGER_SERVICE, ALERTMANAGER_PORT),
        "prometheus": Endpoint(monitoring.namespace, PROMETHEUS_SERVICE, PROMETHEUS_PORT),
        "pushgateway": Endpoint(monitoring.namespace, PUSHGATEWAY, PUSHGATEWAY_PORT),
        "scoring": Endpoint(serving.namespace, SERVE_SERVICE, SERVE_PORT),
    }

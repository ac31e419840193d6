"""The way in for callers of the scoring API: an Ingress to KubeRay's Serve Service, over TLS, served by the
ingress controller that the scoring pods' network policy admits (both read vigie:platform.scoring.ingress).

Its body-size limit is the service's own (vigie:serving.maxRequestBytes), so the controller and the replicas
refuse the same requests: none is cut short at the door that the service would have scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra.labels import common_labels
from infra.manifests.names import RAY_SERVICE, SERVE_PORT, SERVE_SERVICE
from infra.settings.model import ScoringIngress

COMPONENT = "scoring"
BODY_SIZE_ANNOTATION = "nginx.ingress.kubernetes.io/proxy-body-size"
"""ingress-nginx's request size limit (nginx's client_max_body_size; a bare number is bytes). Other controllers
ignore it, and the service's own 413 still applies."""


@dataclass(frozen=True)
class IngressSlice:
    """What the Ingress reads: its stack, the scoring namespace, the ingress settings and the service's body limit."""

    stack_name: str
    namespace: str
    ingress: ScoringIngress
    max_request_bytes: int


def scoring_ingress(way_in: IngressSlice) -> dict[str, Any] | None:
    """Every path of `host` to the Serve Service's HTTP port; none when the stack names no host."""
    host = way_in.ingress.host
    if host is None:
        return None
    backend = {"service": {"name": SERVE_SERVICE, "port": {"number": SERVE_PORT}}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": RAY_SERVICE,
            "namespace": way_in.namespace,
            "labels": common_labels(way_in.stack_name, COMPONENT),
            "annotations": {BODY_SIZE_ANNOTATION: str(way_in.max_request_bytes)},
        },
        "spec": {
            "ingressClassName": way_in.ingress.class_name,
            "tls": [{"hosts": [host], "secretName": way_in.ingress.tls_secret}],
            "rules": [
                {"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}
            ],
        },
    }

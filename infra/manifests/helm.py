"""A Helm release as data: the pinned chart and the values Vigie passes to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class HelmRelease:
    name: str
    namespace: str
    chart: str
    version: str
    repository: str
    values: dict[str, Any]

    def as_document(self) -> dict[str, Any]:
        """What a reviewer reads: which chart, at which version, from where, with which values."""
        return {
            "release": self.name,
            "namespace": self.namespace,
            "chart": self.chart,
            "version": self.version,
            "repository": self.repository,
            "values": self.values,
        }

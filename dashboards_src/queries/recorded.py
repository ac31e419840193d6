"""The recording rules' series of the picked service, which most panels read as they are."""

from __future__ import annotations

from conventions import contract as c
from conventions import promql as p
from dashboards_src import variables as v


def recorded(recording: c.Recording) -> str:
    """A recorded series of the picked service (one per namespace and application)."""
    return v.SCOPE.scoring(recording.name).render()


def recorded_max(recording: c.Recording) -> str:
    """A recorded series reduced to its highest value, for a single-value panel."""
    return p.max(v.SCOPE.scoring(recording.name)).render()

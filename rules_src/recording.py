"""Recording rules: the seed's derived series under the seed's names, and Vigie's own under
level:metric:operations. Alerts and dashboards read these rather than repeating the arithmetic.

Each expression lives in the family file of the alerts that read it; this module collects them in the
contract's order and parses each one as it renders it.
"""

from __future__ import annotations

from conventions import contract as c
from conventions import promql as p
from rules_src.alert import RecordingBuilder, Scope
from rules_src.alerts import business, cpu, error_rate, latency, prediction_log

RECORDINGS: dict[c.Recording, RecordingBuilder] = {
    **error_rate.RECORDINGS,
    **latency.RECORDINGS,
    **cpu.RECORDINGS,
    **business.RECORDINGS,
    **prediction_log.RECORDINGS,
}


def recording_rules(scope: Scope) -> list[dict[str, str]]:
    """The recording rules for one stack's scoring service, in dependency order."""
    missing = set(c.RECORDINGS) - set(RECORDINGS)
    if missing:
        raise ValueError(f"contract recordings without an expression: {sorted(r.name for r in missing)}")
    return [
        {"record": rec.name, "expr": p.checked(RECORDINGS[rec](scope).render(), f"recording rule {rec.name}")}
        for rec in c.RECORDINGS
    ]

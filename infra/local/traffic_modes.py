"""The kinds of traffic `vigie local traffic` drives, and the faults the service injects for each; apart from
infra.local.traffic so that the command line lists them without importing pandas and the model."""

from __future__ import annotations

from enum import StrEnum


class Mode(StrEnum):
    NORMAL = "normal"
    DRIFTED = "drifted"
    ERRORS = "errors"
    SLOW = "slow"
    REFUSALS = "refusals"


DEFAULT_FAULTS = {
    Mode.ERRORS: {"error_rate": 0.2, "delay_ms": 0},
    Mode.SLOW: {"error_rate": 0.0, "delay_ms": 1200},
}

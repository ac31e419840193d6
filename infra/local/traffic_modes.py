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
    CLIENT_ERRORS = "client-errors"
    """A client sending bad payloads: a share of the bodies miss a required field, and get 422."""


BAD_PAYLOAD_SHARE = 0.3
"""The share of malformed bodies in client-errors mode, unless `--error-rate` says otherwise."""

DEFAULT_FAULTS = {
    Mode.ERRORS: {"error_rate": 0.2, "delay_ms": 0},
    Mode.SLOW: {"error_rate": 0.0, "delay_ms": 1200},
}

"""The alert catalog: every alert family, in the order rules and documents list them."""

from rules_src.alert import AlertSpec
from rules_src.alerts import (
    availability,
    business,
    cpu,
    drift,
    error_rate,
    latency,
    model_version,
    prediction_log,
    watchdog,
)

CATALOG: tuple[AlertSpec, ...] = (
    *availability.ALERTS,
    *error_rate.ALERTS,
    *latency.ALERTS,
    *cpu.ALERTS,
    *model_version.ALERTS,
    *business.ALERTS,
    *prediction_log.ALERTS,
    *drift.ALERTS,
    *watchdog.ALERTS,
)
BY_NAME = {spec.name: spec for spec in CATALOG}

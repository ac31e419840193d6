"""A stack resolved: validated settings plus every alert of the catalog with the stack's overrides applied.

This frozen model is what builders get. Checks that span several keys live here, each naming the key to fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from pydantic import ValidationError
from pydantic.alias_generators import to_camel

from infra.settings.cron import CronSchedule
from infra.settings.errors import SettingsError, describe, key_path
from infra.settings.model import AlertOverride, StackSettings
from rules_src.alert import Alert, AlertSpec, Scope, Unit, format_threshold
from rules_src.alerts import BY_NAME, CATALOG
from rules_src.alerts import drift as drift_alerts
from rules_src.alerts import errors as error_alerts
from rules_src.alerts import latency as latency_alerts
from rules_src.durations import duration_seconds, format_duration


@dataclass(frozen=True)
class Stack:
    """One environment, ready for the builders."""

    name: str
    settings: StackSettings
    alerts: tuple[Alert, ...]
    """Every alert of the catalog, in catalog order; disabled ones too, so their thresholds stay known."""

    @property
    def enabled_alerts(self) -> tuple[Alert, ...]:
        return tuple(a for a in self.alerts if a.enabled)

    def alert(self, name: str) -> Alert:
        return next(a for a in self.alerts if a.name == name)

    @cached_property
    def scope(self) -> Scope:
        s = self.settings
        return Scope(s.serving.namespace, s.serving.application, self.name, s.model.version)

    @property
    def secret_keys(self) -> tuple[str, ...]:
        """The secret config keys the receivers name, sorted."""
        keys: set[str] = set()
        for receiver in self.settings.alerting.receivers.values():
            for integration in (receiver.slack, receiver.pagerduty, receiver.email):
                if integration is not None:
                    keys.update(v for k, v in integration.model_dump().items() if k.endswith("_secret"))
        return tuple(sorted(keys))


def build_stack(name: str, values: Mapping[str, object], secrets: set[str], source: str) -> Stack:
    """Validate a stack's `vigie:` config (clear values by key, and the keys holding secrets)."""
    known = {field.alias for field in StackSettings.model_fields.values()}
    try:
        settings = StackSettings.model_validate({k: v for k, v in values.items() if k in known})
    except ValidationError as error:
        raise describe(error, StackSettings, source) from None
    stack = Stack(name, settings, _resolve_alerts(settings, source))
    _check_config_keys(stack, set(values) - known, secrets, source)
    _check_thresholds(stack, source)
    _check_routes(settings, source)
    _check_schedule(stack, source)
    return stack


def _check_config_keys(stack: Stack, unknown: set[str], secrets: set[str], source: str) -> None:
    needed = set(stack.secret_keys)
    for key in sorted(unknown):
        if key in needed:
            raise SettingsError(
                source,
                f"{key_path((key,))}: must be a secret but is given in clear; remove it and run "
                f"`pulumi config set --secret {key} <value>`",
            )
        fields = sorted(f.alias or n for n, f in StackSettings.model_fields.items())
        raise SettingsError(source, f"{key_path((key,))}: unknown key (known keys: {', '.join(fields)})")
    for key in sorted(secrets - needed):
        raise SettingsError(source, f"{key_path((key,))}: secret is not used by any receiver; remove it")


def _resolve_alerts(settings: StackSettings, source: str) -> tuple[Alert, ...]:
    for name in sorted(set(settings.alerts) - BY_NAME.keys()):
        raise SettingsError(
            source,
            f"{key_path(('alerts', name))}: no such alert (known alerts: {', '.join(sorted(BY_NAME))})",
        )
    return tuple(_resolve(spec, settings.alerts.get(spec.name), source) for spec in CATALOG)


def _resolve(spec: AlertSpec, override: AlertOverride | None, source: str) -> Alert:
    if override is None:
        return Alert(spec, spec.threshold, spec.for_, spec.severity)
    threshold = spec.threshold
    if override.threshold is not None:
        threshold = _threshold(spec, override.threshold, source)
    return Alert(
        spec,
        threshold,
        override.for_ or spec.for_,
        override.severity or spec.severity,
        override.enabled,
    )


def _threshold(spec: AlertSpec, value: float | str, source: str) -> float:
    path = key_path(("alerts", spec.name, "threshold"))
    if spec.unit is Unit.NONE:
        raise SettingsError(source, f"{path}: {spec.name} has no threshold to override")
    if spec.unit is Unit.RATIO:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
            raise SettingsError(
                source, f"{path}: must be a ratio strictly between 0 and 1 (0.05 means 5 %), got {value!r}"
            )
        return float(value)
    if not isinstance(value, str):
        raise SettingsError(
            source, f"{path}: must be a Prometheus duration such as 500ms or 1s, got {value!r}"
        )
    try:
        seconds = duration_seconds(value)
    except ValueError as error:
        raise SettingsError(source, f"{path}: {error}") from None
    if spec.threshold_choices and seconds not in spec.threshold_choices:
        choices = ", ".join(format_duration(s) for s in spec.threshold_choices)
        raise SettingsError(
            source, f"{path}: {value} is not a latency bucket boundary, so the quantile would be inexact; "
            f"choose one of {choices}",
        )  # fmt: skip
    return seconds


def _check_thresholds(stack: Stack, source: str) -> None:
    """A warning must trip before the page of the same family."""
    pairs = (
        (latency_alerts.LATENCY_P95, latency_alerts.LATENCY_P99),
        (error_alerts.HTTP_5XX, error_alerts.API_ERROR_RATE),
    )
    for low_spec, high_spec in pairs:
        low, high = stack.alert(low_spec.name), stack.alert(high_spec.name)
        if low.enabled and high.enabled and not (low.threshold or 0) < (high.threshold or 0):
            overridden = low.name if low.name in stack.settings.alerts else high.name
            raise SettingsError(
                source,
                f"{key_path(('alerts', overridden, 'threshold'))}: {low.name}'s threshold "
                f"({low.threshold_text()}) must be below {high.name}'s ({high.threshold_text()})",
            )


def _check_routes(settings: StackSettings, source: str) -> None:
    defined = settings.alerting.receivers
    used: set[str] = set()
    for category, route in settings.alerting.routes.by_category().items():
        for i, name in enumerate(route.receivers):
            if name not in defined:
                path = key_path(
                    ("alerting", "routes", to_camel(category.value.replace("-", "_")), "receivers", i)
                )
                raise SettingsError(
                    source, f"{path}: no receiver named {name!r} (defined: {', '.join(sorted(defined))})"
                )
            used.add(name)
    for name in sorted(set(defined) - used):
        raise SettingsError(
            source, f"{key_path(('alerting', 'receivers', name))}: receiver is never routed to"
        )


def _check_schedule(stack: Stack, source: str) -> None:
    try:
        gap = CronSchedule.parse(stack.settings.drift.schedule).longest_gap_seconds()
    except ValueError as error:
        raise SettingsError(source, f"{key_path(('drift', 'schedule'))}: {error}") from None
    stale = stack.alert(drift_alerts.DRIFT_JOB_STALE.name)
    if stale.enabled and (stale.threshold or 0) <= gap:
        longest = format_threshold(gap, Unit.SECONDS)
        path: tuple[str, ...] = ("drift", "schedule")
        rule = f"DriftJobStale's threshold ({stale.threshold_text()}) must exceed"
        if stale.name in stack.settings.alerts:
            path, rule = ("alerts", stale.name, "threshold"), f"{stale.threshold_text()} must exceed"
        raise SettingsError(
            source,
            f"{key_path(path)}: {rule} the schedule's longest gap between runs ({longest}), or the job looks "
            f"stale between two healthy runs; raise vigie:alerts.DriftJobStale.threshold",
        )

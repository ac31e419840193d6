"""Validating what a stack file says: the schema, then the checks between keys that the user wrote.

Alert resolution and the checks that span several alerts belong to the alert catalog (`rules_src.stack`);
this module only judges the settings as written.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError

from conventions.durations import Duration, format_duration
from infra.settings.errors import SettingsError, describe, key_path
from infra.settings.model import StackSettings
from infra.settings.types import is_relative_location


def validate_settings(values: Mapping[str, object], secrets: set[str], source: str) -> StackSettings:
    """A stack's `vigie:` config (clear values by key, and the keys holding secrets), validated."""
    known = {field.alias for field in StackSettings.model_fields.values()}
    try:
        settings = StackSettings.model_validate({k: v for k, v in values.items() if k in known})
    except ValidationError as error:
        raise describe(error, StackSettings, source) from None
    _check_config_keys(settings, set(values) - known, secrets, source)
    _check_routes(settings, source)
    _check_flushes_between_evaluations(settings, source)
    _check_one_channel_per_webhook(settings, source)
    _check_storage(settings, source)
    return settings


def secret_keys(settings: StackSettings) -> tuple[str, ...]:
    """The secret config keys the receivers name, sorted."""
    keys: set[str] = set()
    for receiver in settings.alerting.receivers.values():
        for integration in (receiver.slack, receiver.pagerduty, receiver.email):
            if integration is not None:
                keys.update(v for k, v in integration.model_dump().items() if k.endswith("_secret") and v)
    return tuple(sorted(keys))


def storage_secret_keys(settings: StackSettings) -> tuple[str, ...]:
    """The secret config keys holding the object-storage credentials (none without vigie:platform.objectStorage)."""
    storage = settings.platform.object_storage
    return storage.secret_keys() if storage is not None else ()


def _check_config_keys(settings: StackSettings, unknown: set[str], secrets: set[str], source: str) -> None:
    needed = set(secret_keys(settings)) | set(storage_secret_keys(settings))
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
        raise SettingsError(
            source, f"{key_path((key,))}: secret is not used by any receiver or the object storage; remove it"
        )


def _check_routes(settings: StackSettings, source: str) -> None:
    defined = settings.alerting.receivers
    used: set[str] = set()
    for key, route in settings.alerting.routes.by_key().items():
        for i, name in enumerate(route.receivers):
            if name not in defined:
                path = key_path(("alerting", "routes", key, "receivers", i))
                raise SettingsError(
                    source, f"{path}: no receiver named {name!r} (defined: {', '.join(sorted(defined))})"
                )
            used.add(name)
    for name in sorted(set(defined) - used):
        raise SettingsError(
            source, f"{key_path(('alerting', 'receivers', name))}: receiver is never routed to"
        )


def between_evaluations(wait: Duration, interval: Duration) -> Duration:
    """`wait` moved to midway between the two rule evaluations around it, where a group's flushes meet no update."""
    step = interval.seconds
    return Duration.parse(format_duration((wait.seconds // step) * step + step / 2))


def _check_flushes_between_evaluations(settings: StackSettings, source: str) -> None:
    """Clustered Alertmanagers notify an alert once only if each of them sees it in the same state at its flush:
    the n-th waits n peer timeouts for the first one's notification log entry, and when an update (the alert's
    resolution) reaches them between their two flushes, the one that flushed first sends its older firing view
    again, then the resolution again (prometheus/alertmanager#4008). Prometheus sends updates right after each
    evaluation, and a group flushes group_wait after the evaluation that created it, then every group_interval:
    with a group_interval that is a multiple of the evaluation interval and a group_wait at least a quarter of
    an interval away from one, no update arrives at a flush. One Alertmanager has no peer to race."""
    monitoring = settings.monitoring
    if monitoring.alertmanager_replicas < 2:
        return
    interval = monitoring.evaluation_interval
    evaluation = f"{key_path(('monitoring', 'evaluationInterval'))} ({interval})"
    race = f"where {monitoring.alertmanager_replicas} Alertmanagers can notify a resolved alert firing again"
    for name, route in settings.alerting.routes.by_key().items():
        if route.group_interval.seconds % interval.seconds:
            raise SettingsError(
                source,
                f"{key_path(('alerting', 'routes', name, 'groupInterval'))}: {route.group_interval} is not a "
                f"multiple of {evaluation}: its flushes would drift onto the evaluations, {race}",
            )
        phase = route.group_wait.seconds % interval.seconds
        if min(phase, interval.seconds - phase) < interval.seconds / 4:
            raise SettingsError(
                source,
                f"{key_path(('alerting', 'routes', name, 'groupWait'))}: {route.group_wait} puts the route's "
                f"flushes within a quarter of {evaluation} of an evaluation, {race}; use "
                f"{between_evaluations(route.group_wait, interval)}, midway between two evaluations",
            )


def _check_one_channel_per_webhook(settings: StackSettings, source: str) -> None:
    """A Slack incoming webhook posts to the channel it was created for and ignores `channel`: two receivers
    of different channels on one webhook would both land in the first one's channel."""
    first: dict[str, tuple[str, str]] = {}
    for name, receiver in settings.alerting.receivers.items():
        slack = receiver.slack
        if slack is None or slack.webhook_url_secret is None:
            continue
        key = slack.webhook_url_secret
        owner, channel = first.setdefault(key, (name, slack.channel))
        if channel != slack.channel:
            path = key_path(("alerting", "receivers", name, "slack", "webhookUrlSecret"))
            raise SettingsError(
                source,
                f"{path}: {owner} ({channel}) and {name} ({slack.channel}) both read {key}, but an incoming "
                "webhook posts only to the channel it was created for; give each channel its own webhook "
                "secret, or use botTokenSecret",
            )


def _locations(settings: StackSettings) -> list[tuple[str, str]]:
    """Each storage location of the stack, by the key that sets it."""
    return [
        (key_path(("model", "artifactUri")), settings.model.artifact_uri),
        (key_path(("serving", "predictionLog", "uri")), settings.serving.prediction_log.uri),
        (key_path(("drift", "reportsUri")), settings.drift.reports_uri),
    ]


def _check_storage(settings: StackSettings, source: str) -> None:
    """Relative URIs live on the data volume, which binds only with a ReadWriteMany class named; s3:// URIs need
    the credentials the stack's Secret is made from."""
    located = _locations(settings)
    relative = next(((key, uri) for key, uri in located if is_relative_location(uri)), None)
    if relative is not None and settings.platform.data_volume.storage_class is None:
        raise SettingsError(
            source,
            f"{key_path(('platform', 'dataVolume', 'storageClass'))}: required, since {relative[0]} is relative "
            f"({relative[1]}): relative URIs live on a ReadWriteMany volume shared by the scoring pods and the drift "
            "job, and a cluster's default class is often ReadWriteOnce only, so the claim would never bind; name an "
            "RWX class (NFS, EFS, CephFS…) or use object-storage URIs (s3://…)",
        )
    on_s3 = next(((key, uri) for key, uri in located if uri.startswith("s3://")), None)
    if on_s3 is not None and settings.platform.object_storage is None:
        raise SettingsError(
            source,
            f"{key_path(('platform', 'objectStorage'))}: required, since {on_s3[0]} is on s3 ({on_s3[1]}): name the "
            "secret config keys of its credentials (accessKeyIdSecret, secretAccessKeySecret)",
        )

"""Value types shared by every settings section: ratios, Prometheus durations, names, secret references.

Units are chosen once: every rate or share is a ratio in [0, 1] (0.05 means 5 %; alert thresholds are
checked where they are resolved), every duration is a Prometheus duration string ("30s", "5m", "7d").
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field

from rules_src.durations import duration_seconds

_K8S_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_CONFIG_KEY_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9]*$")


def is_relative_location(uri: str) -> bool:
    """True for a plain relative path: settings document those as under the project (or the data volume)."""
    return "://" not in uri and not uri.startswith("/")


def resolve_location(uri: str, base: Path) -> str:
    """A settings location as a process uses it: an fsspec URI (s3://…) as is, a path made absolute under
    `base` (the project, locally)."""
    return uri if "://" in uri else str((base / uri).resolve())


def _check_duration(text: str) -> str:
    duration_seconds(text)
    return text


def _check_k8s_name(text: str) -> str:
    if not _K8S_NAME_RE.match(text):
        raise ValueError(f"{text!r} is not a DNS-1123 label (lower-case letters, digits and '-', at most 63)")
    return text


def _check_config_key(text: str) -> str:
    if not _CONFIG_KEY_RE.match(text):
        raise ValueError(
            "must name a Pulumi secret config key (letters and digits, e.g. slackWebhookUrl), not hold a value;"
            " set the value with `pulumi config set --secret <key>`"
        )
    return text


PromDuration = Annotated[str, AfterValidator(_check_duration)]
K8sName = Annotated[str, AfterValidator(_check_k8s_name)]
SecretKey = Annotated[str, AfterValidator(_check_config_key)]
"""The name of a top-level `vigie:` config key whose value is a Pulumi secret; never the value itself."""
PositiveInt = Annotated[int, Field(ge=1)]

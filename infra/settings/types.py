"""Value types shared by every settings section: ratios, Prometheus durations, names, secret references.

Units are chosen once: every rate or share is a ratio in [0, 1] (0.05 means 5 %; alert thresholds are
checked where they are resolved), every duration a Prometheus duration ("30s", "5m", "7d")
parsed into a `Duration`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import (
    AfterValidator,
    Field,
    HttpUrl,
    PlainSerializer,
    PlainValidator,
    TypeAdapter,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from conventions.durations import Duration

_HTTP_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)
_K8S_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_CONFIG_KEY_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9]*$")


def is_relative_location(uri: str) -> bool:
    """True for a plain relative path: settings document those as under the project (or the data volume)."""
    return "://" not in uri and not uri.startswith("/")


def resolve_location(uri: str, base: Path) -> str:
    """A settings location as a process uses it: an fsspec URI (s3://…) as is, a path made absolute under
    `base` (the project, locally)."""
    return uri if "://" in uri else str((base / uri).resolve())


LOCAL_OBJECT_STORAGE = "run/object-storage"
"""Where local runs keep what a stack puts in object storage: s3://bucket/key is run/object-storage/s3/bucket/key."""


def local_location(uri: str, base: Path) -> str:
    """A stack's setting as a local run (`vigie local`, `vigie serve`, `vigie model train`, `vigie drift run`
    without explicit URIs) uses it: paths under `base`, and object-storage URIs in the run folder, so that local
    runs need no bucket and never touch the production one (`vigie model publish` is what writes there)."""
    protocol, sep, rest = uri.partition("://")
    return resolve_location(f"{LOCAL_OBJECT_STORAGE}/{protocol}/{rest}" if sep else uri, base)


def _to_duration(value: object) -> Duration:
    if isinstance(value, Duration):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "Input should be a valid string")
    return Duration.parse(value)


def _to_base_url(value: object) -> BaseUrl:
    if isinstance(value, BaseUrl):
        return value
    return BaseUrl(str(_HTTP_URL.validate_python(value)))


@dataclass(frozen=True)
class BaseUrl:
    """An http(s) URL that others are joined under (Grafana, the runbooks), as pydantic normalises it."""

    text: str

    def join(self, *parts: str) -> str:
        """`<base>/<part>/…`, whether or not the base ends with a slash."""
        return "/".join((self.text.rstrip("/"), *parts))

    def __str__(self) -> str:
        return self.text


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


PromDuration = Annotated[
    Duration,
    PlainValidator(_to_duration),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string"}),
]
"""A Prometheus duration ("30s", "5m", "7d"), parsed once: builders read `.seconds`, files show the text."""
HttpBaseUrl = Annotated[
    BaseUrl,
    PlainValidator(_to_base_url),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string"}),
]
K8sName = Annotated[str, AfterValidator(_check_k8s_name)]
SecretKey = Annotated[str, AfterValidator(_check_config_key)]
"""The name of a top-level `vigie:` config key whose value is a Pulumi secret; never the value itself."""
PositiveInt = Annotated[int, Field(ge=1)]

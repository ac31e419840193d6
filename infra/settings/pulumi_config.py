"""Reading a stack's settings inside the Pulumi program, from the config the Pulumi engine hands it.

The engine passes every `vigie:` key as a string (objects JSON-encoded) and flags the secret ones; values go
through the same validation as the CLI's reading of `Pulumi.<stack>.yaml`. Secret values are
never read here: the program asks for them as Pulumi secrets where it needs them.
"""

from __future__ import annotations

import json
from typing import Any

from pulumi.runtime import config as runtime_config

from infra.settings.errors import NAMESPACE
from infra.settings.loader import refuse_misspelt_namespace

CONFIG_SOURCE = "Pulumi config"


def _decode(raw: Any) -> Any:
    """Objects and numbers arrive JSON-encoded; anything that is not JSON is a plain string."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def config_entries() -> tuple[dict[str, Any], set[str]]:
    """The `vigie:` config of the running stack: clear values by key, and the keys holding secrets."""
    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    secret_keys = set(runtime_config.get_config_secret_keys_env())
    values: dict[str, Any] = {}
    secrets: set[str] = set()
    for key in sorted(keys):
        namespace, _, name = key.partition(":")
        refuse_misspelt_namespace(CONFIG_SOURCE, key)
        if namespace != NAMESPACE or not name:
            continue
        if runtime_config.is_config_secret(key) or key in secret_keys:
            secrets.add(name)
        else:
            values[name] = _decode(runtime_config.get_config(key))
    return values, secrets

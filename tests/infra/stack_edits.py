"""Editing a stack file the way a user would: set or delete one key path in `config:`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def edit_stack(path: Path, key: str, dotted: str, value: Any) -> None:
    """Set config[key] at the dotted path (creating mappings); `...` as value deletes the key."""
    document = yaml.safe_load(path.read_text())
    node = document["config"]
    parts = [key, *dotted.split(".")] if dotted else [key]
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    if value is ...:
        del node[parts[-1]]
    else:
        node[parts[-1]] = value
    path.write_text(yaml.safe_dump(document, sort_keys=False))

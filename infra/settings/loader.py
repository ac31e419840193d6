"""Reading `Pulumi.<stack>.yaml` the way Pulumi does, without the Pulumi CLI.

Only `config:` entries in the `vigie:` namespace are ours. A `{secure: …}` value is a Pulumi secret: its
ciphertext is never read, only the fact that the key holds a secret.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from infra.settings.errors import NAMESPACE, SettingsError

_STACK_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def stack_file(project_dir: Path, name: str) -> Path:
    return project_dir / f"Pulumi.{name}.yaml"


def stack_names(project_dir: Path) -> list[str]:
    """The stacks that have a settings file in the project, sorted."""
    names = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))
    if not names:
        raise SettingsError(str(project_dir), "no Pulumi.<stack>.yaml here: is this a Vigie project?")
    return names


def read_stack_file(project_dir: Path, name: str) -> tuple[dict[str, Any], set[str]]:
    """The `vigie:` entries of stack `name`; SettingsError when the name or the file is wrong."""
    if not _STACK_NAME_RE.match(name):
        raise SettingsError(name, "not a valid stack name (letters, digits, '.', '_' and '-')")
    path = stack_file(project_dir, name)
    if not path.is_file():
        known = ", ".join(stack_names(project_dir))
        raise SettingsError(path.name, f"unknown stack {name!r}: the file does not exist (stacks: {known})")
    return read_config(path)


def read_config(path: Path) -> tuple[dict[str, Any], set[str]]:
    """The `vigie:` entries of a stack file: clear values by key, and the keys that hold secrets."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"{path.name}:{mark.line + 1}:{mark.column + 1}" if mark else path.name
        raise SettingsError(where, f"YAML syntax error: {error.problem}") from None
    if document is None:
        document = {}
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise SettingsError(path.name, "config: must be a mapping of `vigie:<key>: <value>` entries")
    values: dict[str, Any] = {}
    secrets: set[str] = set()
    for key, value in (document.get("config") or {}).items():
        namespace, _, name = str(key).partition(":")
        if namespace != NAMESPACE or not name:
            continue
        if isinstance(value, dict) and set(value) == {"secure"}:
            secrets.add(name)
        else:
            values[name] = value
    return values, secrets

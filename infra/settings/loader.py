"""Reading `Pulumi.<stack>.yaml` the way Pulumi does, without the Pulumi CLI.

Only `config:` entries in the `vigie:` namespace are ours. A `{secure: …}` value is a Pulumi secret: its
ciphertext is never read, only the fact that the key holds a secret.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

import yaml

from infra.settings.errors import NAMESPACE, SettingsError

_STACK_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
NAMESPACE_LIKENESS = 0.75
"""How close to `vigie` a config namespace must be to read as its misspelling: `vigi`, `vigei`, `vigie_`
(0.8 and more), not `aws` or `kubernetes`."""


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
    text = path.read_text(encoding="utf-8")
    try:
        _refuse_duplicate_keys(path.name, yaml.compose(text, Loader=yaml.SafeLoader), ())
        document = yaml.safe_load(text)
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
        refuse_misspelt_namespace(path.name, str(key))
        if namespace != NAMESPACE or not name:
            continue
        if isinstance(value, dict) and set(value) == {"secure"}:
            secrets.add(name)
        else:
            values[name] = value
    return values, secrets


def _refuse_duplicate_keys(source: str, node: yaml.Node | None, path: tuple[str, ...]) -> None:
    """A key given twice in one mapping, at any depth: YAML loaders keep the last silently, so a second
    receiver of the same name, or a second `vigie:model`, would quietly replace the first."""
    if isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _refuse_duplicate_keys(source, item, (*path, f"[{i}]"))
    if not isinstance(node, yaml.MappingNode):
        return
    first_line: dict[str, int] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        line = key_node.start_mark.line + 1
        if key in first_line:
            raise SettingsError(
                f"{source}:{line}",
                f"{_shown(path, key)}: duplicate key (first at line {first_line[key]}); YAML would keep only "
                "the last, so remove one",
            )
        first_line[key] = line
        _refuse_duplicate_keys(source, value_node, (*path, key))


def _shown(path: tuple[str, ...], key: str) -> str:
    """A key as the settings name it: `vigie:alerting.receivers.x` below `config:`."""
    parts = [*path, key][1:] if path[:1] == ("config",) else [*path, key]
    return "".join(p if i == 0 or p.startswith("[") else f".{p}" for i, p in enumerate(parts))


def refuse_misspelt_namespace(source: str, key: str) -> None:
    """Other namespaces (`aws:`, `kubernetes:`…) belong to other Pulumi packages and are left alone; one that
    reads like `vigie` mistyped would otherwise be ignored, and its settings with it."""
    namespace = key.partition(":")[0]
    if namespace != NAMESPACE and difflib.get_close_matches(
        namespace, [NAMESPACE], cutoff=NAMESPACE_LIKENESS
    ):
        suggestion = NAMESPACE + key[len(namespace) :]
        raise SettingsError(
            source, f"{key}: unknown config namespace {namespace!r}, did you mean {suggestion!r}?"
        )

"""Writing `generated/<stack>/` from the settings, and telling when it is stale.

All stacks are validated and rendered in memory before anything is written, so a bad stack file leaves
`generated/` untouched. Each stack's folder is owned by render: files it no longer produces are removed.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from pathlib import Path

from infra.artifacts import render_stack
from rules_src.stack import Stack

GENERATED = "generated"


def stack_dir(project_dir: Path, stack: str) -> Path:
    return project_dir / GENERATED / stack


def render_all(stacks: list[Stack]) -> dict[str, dict[str, str]]:
    return {stack.name: render_stack(stack) for stack in stacks}


def write(project_dir: Path, rendered: dict[str, dict[str, str]]) -> list[Path]:
    """Write each stack's files atomically; return the paths that changed."""
    changed: list[Path] = []
    for stack, files in rendered.items():
        root = stack_dir(project_dir, stack)
        for rel, text in sorted(files.items()):
            path = root / rel
            if path.is_file() and path.read_text(encoding="utf-8") == text:
                continue
            _write_atomic(path, text)
            changed.append(path)
        for rel in sorted(_existing(root) - set(files)):
            (root / rel).unlink()
            changed.append(root / rel)
    return changed


def stale_diff(project_dir: Path, rendered: dict[str, dict[str, str]]) -> str:
    """A unified diff from what `generated/` holds to what render would write; empty when fresh."""
    chunks: list[str] = []
    for stack, files in rendered.items():
        root = stack_dir(project_dir, stack)
        for rel in sorted(set(files) | _existing(root)):
            path = root / rel
            old = path.read_text(encoding="utf-8") if path.is_file() else ""
            new = files.get(rel, "")
            if old != new:
                name = f"{GENERATED}/{stack}/{rel}"
                chunks.extend(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                                   fromfile=f"a/{name}", tofile=f"b/{name}"))  # fmt: skip
    return "".join(chunks)


def _existing(root: Path) -> set[str]:
    if not root.is_dir():
        return set()
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

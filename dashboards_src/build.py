"""Every dashboard of a stack as plain JSON data, keyed by uid; `vigie render` serialises each one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dashboards_src import business, drift, frame, operations
from dashboards_src.queries.check import check_queries
from rules_src.stack import Stack

BUILDERS: tuple[tuple[frame.Meta, Callable[[Stack], Any]], ...] = (
    (frame.OPERATIONS, operations.dashboard),
    (frame.MODEL_BUSINESS, business.dashboard),
    (frame.DRIFT, drift.dashboard),
)


def plain(value: Any) -> Any:
    """grafanalib objects turned into dicts, lists and scalars, recursively."""
    to_json_data = getattr(value, "to_json_data", None)
    if to_json_data is not None:
        return plain(to_json_data())
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def dashboards(stack: Stack) -> dict[str, dict[str, Any]]:
    """uid → dashboard JSON data, for the stack's settings."""
    built = {}
    for meta, build in BUILDERS:
        data = plain(build(stack))
        check_queries(data)
        if data["uid"] != meta.uid or not data["panels"]:
            raise ValueError(
                f"stack {stack.name}: dashboard {meta.uid} built with uid {data['uid']!r} and "
                f"{len(data['panels'])} panels"
            )
        built[meta.uid] = data
    return built

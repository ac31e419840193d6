"""Turning validation failures into one line that names the key path and the rule it broke."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from conventions.errors import UserError

NAMESPACE = "vigie"


class SettingsError(UserError):
    """A user error in a stack's settings. `str()` is the whole message: one line, no traceback needed."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")


def key_path(loc: tuple[str | int, ...]) -> str:
    """`vigie:alerting.routes.urgent.receivers[1]` from a pydantic location."""
    text = f"{NAMESPACE}:{loc[0]}" if loc else NAMESPACE
    for part in loc[1:]:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def describe(error: ValidationError, root: type[BaseModel], source: str) -> SettingsError:
    """The first validation error of `root`, as a SettingsError."""
    detail = error.errors()[0]
    loc = tuple(p for p in detail["loc"] if p != "[key]")
    return SettingsError(source, f"{key_path(loc)}: {_message(detail, root, loc)}")


def _message(detail: ErrorDetails, root: type[BaseModel], loc: tuple[str | int, ...]) -> str:
    kind = detail["type"]
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        known = _known_keys(root, loc[:-1])
        return f"unknown key (known keys here: {', '.join(known)})"
    message = detail["msg"].removeprefix("Value error, ")
    message = message[0].lower() + message[1:]
    shown = detail.get("input")
    secretish = any(isinstance(p, str) and p.lower().endswith("secret") for p in loc)
    if kind != "value_error" and isinstance(shown, str | int | float) and not secretish:
        message += f" (got {shown!r})"
    return message


def _known_keys(root: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """The keys a mapping at `loc` accepts, following model fields, dict values and list items."""
    annotation: Any = root
    for part in loc:
        annotation = _step(annotation, part)
        if annotation is None:
            return []
    model = _model_in(annotation)
    if model is None:
        return []
    return sorted(field.alias or name for name, field in model.model_fields.items())


def _step(annotation: Any, part: str | int) -> Any:
    model = _model_in(annotation)
    if model is not None:
        for name, field in model.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin is dict:
        return args[1]
    if origin is list:
        return args[0]
    return None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None

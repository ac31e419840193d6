"""Stack settings: the one typed description of an environment that every builder reads."""

from infra.settings.errors import SettingsError
from infra.settings.loader import load_stack, stack_names
from infra.settings.model import StackSettings
from infra.settings.stack import Stack, build_stack

__all__ = ["SettingsError", "Stack", "StackSettings", "build_stack", "load_stack", "stack_names"]

"""Stack settings as the user writes them: the typed schema of `vigie:` config, read and validated.

Resolving a stack (its alerts with their overrides) is the alert catalog's work: `rules_src.stack`.
"""

from infra.settings.errors import SettingsError
from infra.settings.loader import read_stack_file, stack_names
from infra.settings.model import StackSettings
from infra.settings.validation import validate_settings

__all__ = ["SettingsError", "StackSettings", "read_stack_file", "stack_names", "validate_settings"]

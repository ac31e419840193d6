"""The report's user errors: Prometheus or the SMTP server refusing, an empty week, a bad option."""

from __future__ import annotations

from conventions.errors import UserError


class ReportError(UserError):
    """One line, exit status 2, no traceback; never holds a secret value."""

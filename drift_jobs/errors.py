"""Errors a drift run reports to the operator as one line, and URIs made safe to print."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from conventions.errors import UserError


class DriftJobError(UserError):
    """A run that cannot complete for a reason the operator can fix: bad data, storage, the Pushgateway."""


def shown(uri: str) -> str:
    """`uri` without user, password or query, so credentials never reach a log line, a message or a report."""
    parts = urlsplit(uri)
    if not parts.scheme or not parts.netloc:
        return uri
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))

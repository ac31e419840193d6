"""Local folders and fsspec URIs behind one interface, with storage failures turned into one-line errors."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from contextlib import contextmanager

import fsspec
from fsspec import AbstractFileSystem

from drift_jobs.errors import DriftJobError, shown


def filesystem(uri: str) -> tuple[AbstractFileSystem, str]:
    """The filesystem holding `uri` and the path inside it."""
    with readable(uri):
        fs, path = fsspec.core.url_to_fs(uri)
    return fs, str(path)


def join(root: str, *parts: str) -> str:
    return posixpath.join(root, *parts)


def is_local(fs: AbstractFileSystem) -> bool:
    protocols = (fs.protocol,) if isinstance(fs.protocol, str) else fs.protocol
    return "file" in protocols


def location(fs: AbstractFileSystem, path: str) -> str:
    """How messages name a file: a plain path when local, its URI (credentials removed) otherwise."""
    return path if is_local(fs) else shown(fs.unstrip_protocol(path))


@contextmanager
def readable(uri: str) -> Iterator[None]:
    """Turn what storage raises (missing, denied, unreachable, corrupt, unknown protocol) into a DriftJobError."""
    with _storage_errors(uri, "read"):
        yield


@contextmanager
def writable(uri: str) -> Iterator[None]:
    with _storage_errors(uri, "write"):
        yield


@contextmanager
def _storage_errors(uri: str, verb: str) -> Iterator[None]:
    try:
        yield
    except FileNotFoundError:
        raise DriftJobError(f"{shown(uri)}: no such file or folder") from None
    except (OSError, ValueError, ImportError) as error:
        raise DriftJobError(f"{shown(uri)}: cannot {verb} ({reason(error)})") from None


def reason(error: object) -> str:
    """The first line of an error's message, for a one-line report, without the quoted paths or URLs libraries
    repeat (the message names the file already, and a URL may carry credentials)."""
    text = _QUOTED_PATH.sub("", str(error)).strip()
    return text.splitlines()[0] if text else type(error).__name__


_QUOTED_PATH = re.compile(r":? ?'[^' ]*/[^' ]*'")

"""Publishing a run's reports as one folder, <reports>/<stack>/<run>/: files are staged beside it and moved in
only once all are written, so a failed run never leaves a partial folder where a good one was."""

from __future__ import annotations

import posixpath
import secrets
from pathlib import Path

from fsspec import AbstractFileSystem

from drift_jobs.storage import filesystem, is_local, join, writable


def publish(staged: Path, reports_uri: str, stack: str, run_id: str) -> str:
    """Copy the files of `staged` to the run's folder, replacing an earlier run of the same window; its URI.

    On a local disk each move is a rename, so readers see the old folder or the new one, never a mix; on an
    object store the copy into place starts only once every file is staged."""
    fs, root = filesystem(reports_uri)
    parent = join(root, stack)
    final = join(parent, run_id)
    token = secrets.token_hex(4)
    staging, retired = join(parent, f".{run_id}.staging-{token}"), join(parent, f".{run_id}.replaced-{token}")
    with writable(reports_uri):
        try:
            fs.makedirs(staging, exist_ok=True)
            for path in sorted(staged.iterdir()):
                fs.put_file(str(path), join(staging, path.name))
            _swap_in(fs, staging, final, retired)
        finally:
            for leftover in (staging, retired):
                if fs.exists(leftover):
                    fs.rm(leftover, recursive=True)
    return join(reports_uri, stack, run_id) if "://" in reports_uri else final


def _swap_in(fs: AbstractFileSystem, staging: str, final: str, retired: str) -> None:
    if not fs.exists(final):
        _move(fs, staging, final)
        return
    _move(fs, final, retired)
    try:
        _move(fs, staging, final)
    except BaseException:
        _move(fs, retired, final)
        raise


def _move(fs: AbstractFileSystem, source: str, target: str) -> None:
    """A rename on a local disk; file by file on an object store, which has no folders to move (s3fs takes a
    folder it has not listed for a missing key)."""
    if is_local(fs):
        fs.mv(source, target, recursive=True)
    else:
        for path in fs.find(source):
            fs.mv(path, join(target, posixpath.relpath(path, source)))
    fs.invalidate_cache()

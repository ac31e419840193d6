"""Publishing a run's reports as one folder, <reports>/<stack>/<run>/: files are staged beside it and moved in
only once all are written, so a failed run never leaves a partial folder where a good one was."""

from __future__ import annotations

import secrets
from pathlib import Path

from fsspec import AbstractFileSystem

from drift_jobs.storage import filesystem, join, writable


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
        fs.mv(staging, final, recursive=True)
        return
    fs.mv(final, retired, recursive=True)
    try:
        fs.mv(staging, final, recursive=True)
    except BaseException:
        fs.mv(retired, final, recursive=True)
        raise

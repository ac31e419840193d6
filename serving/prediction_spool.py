"""The prediction log's write-ahead spool: every record a replica answers is first appended to a segment file
on the replica's local disk, so that a killed replica process loses nothing it answered.

A segment holds the records of one future Parquet write and is named after it: the writer writes the segment's
parts under names derived from the segment, then removes the segment. Its owner holds an exclusive `flock` on it
for as long as it lives, so another writer on the same disk can tell a live writer's segment (locked) from a
dead one's (unlockable, since the kernel drops the lock with the process) and replay it. A replay after a crash
between a part's move and the segment's removal writes the same part names again, so the log never doubles.

A segment is a sequence of frames, one per append: a header (payload bytes, rows, payload CRC-32, header
CRC-32), then the records as MessagePack (msgspec: about 1 µs a record, where building an Arrow batch of 1 to 16
records takes some 200 µs; datetimes keep their time zone). A torn or corrupt frame ends the segment: what
follows is ignored and its rows, when its header survived, are counted as dropped.

Records reach the OS with write(), not fsync(): that survives a process kill (SIGKILL, OOM kill, container
restart), not the loss of the node's page cache (node crash, power loss), which loses at most the segments
not yet written as Parquet.
"""

from __future__ import annotations

import fcntl
import logging
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

logger = logging.getLogger(__name__)

SUFFIX = ".spool"
_HEADER = struct.Struct("<IIII")
"""Payload bytes, rows, CRC-32 of the payload, CRC-32 of the first three fields."""
_FIELDS = struct.Struct("<III")
_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(list[dict[str, Any]])
Records = list[dict[str, Any]]


class SpoolFile:
    """A segment file its owner holds locked; appends go straight to the OS with one write() per frame."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd
        self.broken = False
        """Set once a write failed: later frames would follow a torn one, so the file takes no more."""

    @classmethod
    def create(cls, folder: Path, name: str) -> SpoolFile:
        """Created and locked under a hidden name, then moved into place: a scan never sees it unlocked."""
        folder.mkdir(parents=True, exist_ok=True)
        hidden, path = folder / f".{name}{SUFFIX}.tmp", folder / f"{name}{SUFFIX}"
        fd = os.open(hidden, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(hidden, path)
        return cls(path, fd)

    def append(self, records: Records) -> None:
        self._write(_frame(_ENCODER.encode(records), len(records)))

    def _write(self, frame: bytes) -> None:
        written = 0
        while written < len(frame):
            written += os.write(self._fd, frame[written:])

    def remove(self) -> None:
        """Unlinked while still locked, so no other writer can take it for a dead one's in between."""
        self.path.unlink(missing_ok=True)
        os.close(self._fd)


def _frame(payload: bytes, rows: int) -> bytes:
    fields = _FIELDS.pack(len(payload), rows, zlib.crc32(payload))
    return fields + struct.pack("<I", zlib.crc32(fields)) + payload


@dataclass
class Orphan:
    """A dead writer's segment, now locked by this writer: its records and what could not be read."""

    name: str
    file: SpoolFile
    records: Records
    torn_rows: int
    torn_bytes: int


def orphans(folder: Path, skip_prefix: str) -> Iterator[Orphan]:
    """Segments in `folder` whose writer is gone (none holds their lock), each locked for the caller.
    Hidden segments that never made it into place held no record and are removed."""
    if not folder.is_dir():
        return
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(skip_prefix) or entry.name.startswith(f".{skip_prefix}"):
            continue
        if entry.name.startswith(".") and entry.name.endswith(f"{SUFFIX}.tmp"):
            locked = _lock(entry)
            if locked is not None:
                SpoolFile(entry, locked).remove()
            continue
        if not entry.name.endswith(SUFFIX):
            continue
        fd = _lock(entry)
        if fd is not None:
            yield _read(entry, fd)


def _lock(path: Path) -> int | None:
    """An fd locked on `path`, or None when a live writer holds it or it is gone (another writer took it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.fstat(fd).st_ino != os.stat(path).st_ino:
            raise FileNotFoundError(path)  # replayed and removed by another writer since we opened it
    except OSError:
        os.close(fd)
        return None
    return fd


def _read(path: Path, fd: int) -> Orphan:
    data = path.read_bytes()
    records: Records = []
    offset = torn_rows = 0
    while offset < len(data):
        frame = _next_frame(data, offset)
        if frame is None:
            torn_rows = _claimed_rows(data, offset)
            break
        payload, rows, end = frame
        try:
            records += _DECODER.decode(payload)
        except msgspec.DecodeError:
            torn_rows = rows
            break
        offset = end
    torn_bytes = len(data) - offset
    if torn_bytes:
        logger.error("prediction spool %s: %d bytes at its end could not be read", path, torn_bytes)
    return Orphan(path.name.removesuffix(SUFFIX), SpoolFile(path, fd), records, torn_rows, torn_bytes)


def _next_frame(data: bytes, offset: int) -> tuple[bytes, int, int] | None:
    """The payload and rows of the frame at `offset` and the offset after it, or None when torn or corrupt."""
    header = data[offset : offset + _HEADER.size]
    if len(header) < _HEADER.size:
        return None
    size, rows, payload_crc, header_crc = _HEADER.unpack(header)
    if zlib.crc32(header[: _FIELDS.size]) != header_crc:
        return None
    start = offset + _HEADER.size
    payload = data[start : start + size]
    if len(payload) < size or zlib.crc32(payload) != payload_crc:
        return None
    return payload, rows, start + size


def _claimed_rows(data: bytes, offset: int) -> int:
    """Rows a torn frame held, from its header when that survived; 1 (a frame holds at least one) otherwise."""
    header = data[offset : offset + _HEADER.size]
    if len(header) == _HEADER.size:
        _, rows, _, header_crc = _HEADER.unpack(header)
        if zlib.crc32(header[: _FIELDS.size]) == header_crc:
            return int(rows)
    return 1

"""Where a long run is: a progress bar on a terminal, timestamped lines when the output is a log (a CronJob)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TextIO, TypeVar

from tqdm import tqdm

from drift_jobs.config import iso

T = TypeVar("T")


class Progress:
    def __init__(self, stream: TextIO, interactive: bool) -> None:
        self.stream = stream
        self.interactive = interactive

    def log(self, message: str) -> None:
        now = iso(datetime.now(UTC))
        print(f"{now} drift: {message}", file=self.stream, flush=True)

    @contextmanager
    def stage(self, what: str) -> Iterator[None]:
        """Log the start and the duration of one step of the run."""
        self.log(f"{what}…")
        started = time.monotonic()
        yield
        self.log(f"{what}: done in {time.monotonic() - started:.1f}s")

    def each(self, items: Sequence[T], what: str) -> Iterator[T]:
        """Iterate with a bar when interactive; otherwise log a line at each quarter, which a log can hold."""
        if self.interactive:
            with tqdm(items, desc=what, file=self.stream, leave=False) as bar:
                yield from bar
            return
        marks = {max(1, round(len(items) * q / 4)) for q in range(1, 5)}
        for done, item in enumerate(items, start=1):
            yield item
            if done in marks:
                self.log(f"{what}: {done}/{len(items)}")

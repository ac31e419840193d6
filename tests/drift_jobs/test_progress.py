"""Progress: a bar on a terminal, a few timestamped lines in a log."""

from __future__ import annotations

import io
import re

from drift_jobs.progress import Progress


def test_a_log_gets_a_line_per_quarter_and_each_stage_with_its_duration() -> None:
    stream = io.StringIO()
    progress = Progress(stream, interactive=False)
    with progress.stage("testing 8 features"):
        assert list(progress.each(list(range(8)), "features tested")) == list(range(8))
    lines = [re.sub(r"^\S+ ", "", line) for line in stream.getvalue().splitlines()]
    assert lines[:5] == ["drift: testing 8 features…"] + [
        f"drift: features tested: {n}/8" for n in (2, 4, 6, 8)
    ]
    assert re.fullmatch(r"drift: testing 8 features: done in \d+\.\ds", lines[5])
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ drift: ", stream.getvalue())


def test_a_terminal_gets_a_progress_bar() -> None:
    stream = io.StringIO()
    assert list(Progress(stream, interactive=True).each(list(range(5)), "features tested")) == list(range(5))
    drawn = stream.getvalue()
    assert drawn.startswith("\rfeatures tested:   0%|") and "| 0/5 [" in drawn
    assert drawn.endswith("\r"), "the bar is cleared once done, for the stage's closing line"

"""A run's reports land as one complete folder or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from drift_jobs.errors import DriftJobError
from drift_jobs.publish import publish


def _staged(folder: Path, content: str) -> Path:
    folder.mkdir()
    (folder / "Data_Drift_Report.html").write_text(content)
    (folder / "Drift_Summary.json").write_text(content)
    return folder


def test_publishing_a_window_again_replaces_its_folder_whole(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    first = publish(_staged(tmp_path / "a", "first"), str(reports), "dev", "20261126T030000Z")
    (Path(first) / "stale.html").write_text("from an older layout")
    second = publish(_staged(tmp_path / "b", "second"), str(reports), "dev", "20261126T030000Z")
    assert first == second == str(reports / "dev" / "20261126T030000Z")
    assert sorted(p.name for p in Path(second).iterdir()) == ["Data_Drift_Report.html", "Drift_Summary.json"]
    assert (Path(second) / "Drift_Summary.json").read_text() == "second"
    assert [p.name for p in (reports / "dev").iterdir()] == ["20261126T030000Z"]


def test_a_failed_copy_leaves_the_previous_folder_and_no_debris(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    good = publish(_staged(tmp_path / "a", "good"), str(reports), "dev", "20261126T030000Z")
    broken = _staged(tmp_path / "b", "new")
    (broken / "Prediction_Drift_Report.html").symlink_to(tmp_path / "gone")
    with pytest.raises(DriftJobError, match=rf"^{reports}: "):
        publish(broken, str(reports), "dev", "20261126T030000Z")
    assert (Path(good) / "Drift_Summary.json").read_text() == "good"
    assert [p.name for p in (reports / "dev").iterdir()] == ["20261126T030000Z"]

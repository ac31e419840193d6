"""`vigie render`: reproducible output, staleness detection, and small diffs for small setting changes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.conftest import PROJECT_DIR, CliRunner
from tests.infra.stack_edits import edit_stack


def test_committed_generated_folder_is_fresh(vigie: CliRunner) -> None:
    code, out, _ = vigie("--project-dir", PROJECT_DIR, "render", "--all", "--check")
    assert (code, out) == (0, "generated/ is fresh for dev, prod, staging\n")


def test_rendering_twice_changes_no_byte(project: Path, vigie: CliRunner) -> None:
    assert vigie("--project-dir", project, "render", "--all")[0] == 0
    code, out, _ = vigie("--project-dir", project, "render", "--all")
    assert (code, out) == (0, "rendered dev, prod, staging: 0 file(s) changed\n")


@pytest.mark.parametrize("name", ["obsolete.yaml", "runbooks/RemovedAlert.md"])
def test_render_removes_files_it_no_longer_produces(project: Path, vigie: CliRunner, name: str) -> None:
    obsolete = project / "generated" / "prod" / name
    obsolete.write_text("groups: []\n")
    code, out, err = vigie("--project-dir", project, "render", "--stack", "prod", "--check")
    assert code == 1 and f"--- a/generated/prod/{name}" in out and "stale" in err
    vigie("--project-dir", project, "render", "--stack", "prod")
    assert not obsolete.exists()


def _changed_lines(before: str, after: str) -> list[str]:
    """Lines only `before` has ("-…") and lines only `after` has ("+…"), counted as multisets, so that a diff
    algorithm's choice of alignment between look-alike sections (blank lines, code fences) does not count."""
    old, new = Counter(before.splitlines()), Counter(after.splitlines())
    return [f"-{line}" for line in (old - new).elements()] + [f"+{line}" for line in (new - old).elements()]


def test_one_threshold_edit_changes_only_the_lines_that_express_it(project: Path, vigie: CliRunner) -> None:
    generated = project / "generated"
    before = {p.relative_to(generated).as_posix(): p.read_text() for p in generated.rglob("*") if p.is_file()}
    edit_stack(project / "Pulumi.prod.yaml", "vigie:alerts", "Http5xxRateHigh.threshold", 0.02)

    code, out, _ = vigie("--project-dir", project, "render", "--all", "--check")
    guard = " and application:http_requests:rate1m >= 1"
    assert (
        code == 1
        and f"-    expr: error_rate_5xx > 0.01{guard}\n+    expr: error_rate_5xx > 0.02{guard}\n" in out
    )

    vigie("--project-dir", project, "render", "--all")
    after = {p.relative_to(generated).as_posix(): p.read_text() for p in generated.rglob("*") if p.is_file()}
    changed = {name for name in before if before[name] != after[name]}
    expected = {"prod/ALERTS.md", "prod/prometheus-rule.yaml", "prod/rules.test.yaml", "prod/rules.yaml",
                "prod/dashboards/vigie-operations.json", "prod/manifests/dashboards.yaml", "prod/manifests/drift.yaml",
                "prod/manifests/report.yaml", "prod/runbooks/Http5xxRateHigh.md", "prod/runbooks/README.md"}  # fmt: skip
    assert changed == {name for name in expected if name in before} and set(after) == set(before)
    for name in (
        "prod/rules.yaml",
        "prod/prometheus-rule.yaml",
        "prod/ALERTS.md",
        "prod/dashboards/vigie-operations.json",
        "prod/runbooks/Http5xxRateHigh.md",
        "prod/runbooks/README.md",
    ):
        lines = _changed_lines(before[name], after[name])
        old, new = [x for x in lines if x[0] == "-"], [x for x in lines if x[0] == "+"]
        assert old and all("1%" in x or "0.01" in x for x in old)
        assert new and all("2%" in x or "0.02" in x for x in new)
    tests_before = yaml.safe_load(before["prod/rules.test.yaml"])["tests"]
    tests_after = yaml.safe_load(after["prod/rules.test.yaml"])["tests"]
    differing = {a["name"] for a, b in zip(tests_before, tests_after, strict=True) if a != b}
    assert differing and all(name.startswith("Http5xxRateHigh ") for name in differing)

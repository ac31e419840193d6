"""Every rule expression is parsed as it renders: a malformed one stops `vigie render` with one line naming
the alert or recording rule that holds it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from conventions import contract as c
from conventions import promql as p
from rules_src import recording
from rules_src.alert import Scope
from rules_src.alerts import error_rate
from rules_src.stack import load_stack
from tests.conftest import PROJECT_DIR, CliRunner


def _rate_of_an_instant_vector(scope: Scope, threshold: float | None = None) -> p.Expr:
    """A plausible slip: rate() over a selector instead of a range vector."""
    return p.gt(p.Call("rate", (scope.scoring(c.HTTP_REQUESTS.name),)), threshold or 0)


def test_an_alert_with_a_malformed_expression_is_refused_by_name() -> None:
    stack = load_stack(PROJECT_DIR, "prod")
    alert = stack.alerts.named(error_rate.HTTP_5XX.name)
    broken = dataclasses.replace(alert, spec=dataclasses.replace(alert.spec, expr=_rate_of_an_instant_vector))
    with pytest.raises(p.PromQLError, match=r"^alert Http5xxRateHigh: invalid PromQL \(expected type matrix"):
        broken.expr(stack.alerts.scope)


def test_a_malformed_recording_rule_stops_render_with_one_line_naming_it(
    project: Path, vigie: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(recording.RECORDINGS, c.REQUEST_RATE, _rate_of_an_instant_vector)
    code, out, err = vigie("--project-dir", project, "render", "--all", "--check")
    assert (code, out) == (2, "")
    assert err.startswith(
        f"error: recording rule {c.REQUEST_RATE.name}: invalid PromQL (expected type matrix"
    )
    assert err.count("\n") == 1

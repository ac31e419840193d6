"""`vigie report business` failing: each failure is one line on stderr naming what refused, exit status 2,
nothing sent and no secret shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.local.process import LOOPBACK, free_port
from tests.conftest import PROJECT_DIR, CliRunner
from tests.report_fixtures import EMPTY_WEEK, REPORTED_WEEK, SMTP_PASSWORD, BackfilledPrometheus, Mailbox

PROMETHEUS = "{prometheus}"
SMARTHOST = "{smarthost}"
SECRETS = "{secrets}"
DOWN = "{down}"
"""Placeholders filled per run: the backfilled Prometheus, the mailbox, the secrets folder, a port nobody holds."""

CASES: dict[str, tuple[dict[str, str], str]] = {
    "Prometheus unreachable": (
        {"--prometheus": f"http://{LOOPBACK}:{DOWN}"},
        f"error: Prometheus at http://{LOOPBACK}:{DOWN} is unreachable: [Errno 111] Connection refused",
    ),
    "SMTP refusing the login": (
        {"--secrets-dir": "{wrong_secrets}"},
        f"error: SMTP server {SMARTHOST} refused the login of alertmanager: 535 5.7.8 Authentication credentials "
        "invalid",
    ),
    "SMTP server unreachable": (
        {"--smarthost": f"{LOOPBACK}:{DOWN}"},
        f"error: SMTP server {LOOPBACK}:{DOWN} is unreachable or broke off: [Errno 111] Connection refused",
    ),
    "empty week": (
        {"--week": str(EMPTY_WEEK)},
        f"error: no scoring data for {EMPTY_WEEK} at {PROMETHEUS} (no accepted or rejected application of scoring "
        "in namespace scoring)",
    ),
    "week that does not exist": ({"--week": "2026-W54"}, "error: --week: 2026 has no ISO week 54"),
    "malformed week": ({"--week": "2026-48"}, "error: --week: '2026-48' is not an ISO week such as 2026-W48"),
    "no password file": (
        {"--secrets-dir": "{empty_secrets}"},
        "error: --secrets-dir: cannot read the SMTP password file {empty_secrets}/smtpPassword: No such file or "
        "directory",
    ),
    "stack without business e-mail": (
        {"--stack": "dev"},
        "error: stack dev: the business route (vigie:alerting.routes.business) has no e-mail receiver to send the "
        "report to",
    ),
}


@pytest.mark.parametrize(("changes", "message"), CASES.values(), ids=CASES)
def test_a_failed_report_is_one_line_exit_2_and_sends_nothing(
    changes: dict[str, str],
    message: str,
    backfilled_prometheus: BackfilledPrometheus,
    mailbox: Mailbox,
    secrets_dir: Path,
    tmp_path: Path,
    vigie: CliRunner,
) -> None:
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    (wrong / "smtpPassword").write_text("not-the-password\n")
    (tmp_path / "empty").mkdir()
    places = {"prometheus": backfilled_prometheus.url, "smarthost": mailbox.smarthost, "secrets": str(secrets_dir),
              "down": str(free_port()), "wrong_secrets": str(wrong), "empty_secrets": str(tmp_path / "empty")}  # fmt: skip
    options = {"--stack": "prod", "--week": str(REPORTED_WEEK), "--prometheus": PROMETHEUS,
               "--secrets-dir": SECRETS, "--smarthost": SMARTHOST, **changes}  # fmt: skip
    argv = [part.format(**places) for option, value in options.items() for part in (option, value)]
    code, out, err = vigie("--project-dir", PROJECT_DIR, "report", "business", *argv)
    assert (code, out, err) == (2, "", message.format(**places) + "\n")
    assert mailbox.messages == [] and SMTP_PASSWORD not in err

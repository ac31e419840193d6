"""The weekly business report end to end on real engines: `vigie report business` queries a real Prometheus over
two backfilled weeks and mails the report to a real SMTP server, which asks for the receiver's login."""

from __future__ import annotations

import csv
import io
import re
from contextlib import redirect_stdout
from email.message import EmailMessage

import pytest

from infra.cli import main
from rules_src.stack import load_stack
from tests.conftest import PROJECT_DIR
from tests.report_fixtures import (
    HEAVY,
    NORMAL,
    PREVIOUS_WEEK,
    REPORTED_WEEK,
    SMTP_USER,
    BackfilledPrometheus,
    expected,
    serving_mailbox,
    write_secrets,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def delivered(
    backfilled_prometheus: BackfilledPrometheus, tmp_path_factory: pytest.TempPathFactory
) -> tuple[EmailMessage, str]:
    """prod's report of the refusal-heavy week, as the mailbox received it, and what the command printed; sent
    once for the module."""
    secrets = write_secrets(tmp_path_factory.mktemp("report") / "secrets")
    out = io.StringIO()
    with serving_mailbox() as mailbox, redirect_stdout(out):
        code = main([
            "--project-dir", str(PROJECT_DIR), "report", "business", "--stack", "prod", "--week", str(REPORTED_WEEK),
            "--prometheus", backfilled_prometheus.url, "--secrets-dir", str(secrets), "--smarthost", mailbox.smarthost,
        ])  # fmt: skip
    assert code == 0
    (message,) = mailbox.messages
    assert mailbox.logins == [SMTP_USER]
    return message, out.getvalue()


def _html(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    assert body is not None
    return body.get_content()


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_mail_goes_to_the_business_receiver_and_names_the_week(
    delivered: tuple[EmailMessage, str],
) -> None:
    message, out = delivered
    receiver = load_stack(PROJECT_DIR, "prod").settings.alerting.business_emails()["email-business"]
    assert (message["To"], message["From"]) == (receiver.to, receiver.sender)
    assert message["Subject"] == (
        f"Vigie weekly business report, prod, {REPORTED_WEEK}: refusal rate 37.1 % (+22.6 points against the "
        "previous week)"
    )
    assert (
        out
        == f"sent the {REPORTED_WEEK} business report of prod to {receiver.to} (receiver email-business): refusal rate 37.1 %\n"
    )


def test_the_body_states_the_refusal_rate_and_its_change_against_the_previous_week(
    delivered: tuple[EmailMessage, str],
) -> None:
    now, before = expected(HEAVY), expected(NORMAL)
    assert (round(now["refusal_rate"] * 100, 1), round(before["refusal_rate"] * 100, 1)) == (37.1, 14.6)
    text = _text(_html(delivered[0]))
    assert "Refusal rate: 37.1 % (previous week 14.6 %, +22.6 points against the previous week)." in text
    assert (
        f"Accepted {now['accepted']:,.0f} {before['accepted']:,.0f} -28.6 % against the previous week" in text
    )
    assert (
        f"Rejected {now['rejected']:,.0f} {before['rejected']:,.0f} +147.6 % against the previous week"
        in text
    )
    assert (
        f"Mean score {now['score_mean']:.3f} {before['score_mean']:.3f} rising, "
        f"{now['score_mean'] - before['score_mean']:+.3f} against the previous week" in text
    )
    assert "credit-lgbm-2026.12.0: 20,000 applications" in text and "credit-lgbm-2026.11.0: 15,000" in text
    assert "CreditRefusalRateHigh (Credit refusal rate above 20%, for 15m): did not fire this week" in text


def test_the_charts_are_inline_pngs_the_html_names_by_content_id(delivered: tuple[EmailMessage, str]) -> None:
    message = delivered[0]
    html_part = message.get_body(preferencelist=("html",))
    related = next(part for part in message.walk() if part.get_content_type() == "multipart/related")
    images = [part for part in related.iter_parts() if part.get_content_type() == "image/png"]
    assert len(images) == 2 and html_part is not None
    for image in images:
        assert image.get_content().startswith(PNG_MAGIC)
        assert f'src="cid:{image["Content-ID"].strip("<>")}"' in html_part.get_content()


def test_the_csv_attachment_holds_the_daily_figures_of_both_weeks(
    delivered: tuple[EmailMessage, str],
) -> None:
    (attachment,) = delivered[0].iter_attachments()
    assert attachment.get_filename() == f"business-prod-{REPORTED_WEEK}.csv"
    rows = list(csv.DictReader(io.StringIO(attachment.get_content())))
    assert [r["week"] for r in rows] == [str(PREVIOUS_WEEK)] * 7 + [str(REPORTED_WEEK)] * 7
    assert [r["day"] for r in rows[7:]] == [d.date().isoformat() for d in REPORTED_WEEK.days()]
    assert [(int(r["accepted"]), int(r["rejected"])) for r in rows] == [
        (d.accepted, d.rejected) for d in (*NORMAL, *HEAVY)
    ]
    for row, day in zip(rows, (*NORMAL, *HEAVY), strict=True):
        assert float(row["refusal_rate"]) == pytest.approx(
            day.rejected / (day.accepted + day.rejected), rel=1e-5
        )
        assert float(row["score_mean"]) == pytest.approx(day.score_mean, rel=1e-5)

"""The report as an e-mail (HTML with inline charts, a plain-text summary, the CSV attached) and its delivery
over SMTP with the receiver's settings, as Alertmanager's e-mail integration would log in."""

from __future__ import annotations

import ipaddress
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path

from infra.settings.model import Email
from reports.business import BusinessReport
from reports.errors import ReportError

TIMEOUT_S = 30.0
IMPLICIT_TLS_PORT = 465
"""Where SMTP speaks TLS from the first byte (SMTPS), as Alertmanager assumes for this port."""


def report_message(report: BusinessReport, email: Email) -> EmailMessage:
    """multipart/mixed: [alternative: [plain text, related: [HTML, PNG charts by cid]], the CSV]."""
    message = EmailMessage()
    message["Subject"] = report.subject
    message["From"] = email.sender
    message["To"] = email.to
    message.set_content(report.text())
    message.add_alternative(report.html(), subtype="html")
    html_part = message.get_body(preferencelist=("html",))
    assert isinstance(html_part, EmailMessage)
    for chart in report.charts:
        html_part.add_related(
            chart.png, "image", "png", cid=f"<{chart.content_id}>", filename=f"{chart.content_id}.png"
        )
    message.add_attachment(
        report.csv().encode(),
        maintype="text",
        subtype="csv",
        filename=f"business-{report.stack}-{report.current.week}.csv",
    )
    return message


def read_password(secrets_dir: Path, email: Email) -> str:
    """The receiver's SMTP password from `<secrets_dir>/<passwordSecret>`, the file the credentials Secret
    mounts, less a final line break; the error names the file, never its content."""
    path = secrets_dir / email.password_secret
    try:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as error:
        raise ReportError(
            f"--secrets-dir: cannot read the SMTP password file {path}: {error.strerror}"
        ) from None


def send(message: EmailMessage, email: Email, password: str, smarthost: str | None = None) -> None:
    """Deliver over STARTTLS (or SMTPS on 465), logging in as the receiver's user. Only a server on loopback (the
    local stack's) may be spoken to without TLS: elsewhere the password would cross the network in clear."""
    where = smarthost or email.smarthost
    host, _, port_text = where.rpartition(":")
    if not host or not port_text.isdigit():
        raise ReportError(f"--smarthost: {where!r} is not HOST:PORT (example: 127.0.0.1:1025)")
    port = int(port_text)
    try:
        if port == IMPLICIT_TLS_PORT:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=TIMEOUT_S, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(host, port, timeout=TIMEOUT_S)
        with client as smtp:
            smtp.ehlo()
            if port != IMPLICIT_TLS_PORT and smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            elif port != IMPLICIT_TLS_PORT and not _loopback(host):
                raise ReportError(
                    f"SMTP server {where} offers no STARTTLS: refusing to send the password of {email.username} in clear"
                )
            smtp.login(email.username, password)
            smtp.send_message(message)
    except smtplib.SMTPAuthenticationError as error:
        raise ReportError(
            f"SMTP server {where} refused the login of {email.username}: {_said(error)}"
        ) from None
    except smtplib.SMTPResponseException as error:
        raise ReportError(f"SMTP server {where} refused the report: {_said(error)}") from None
    except smtplib.SMTPRecipientsRefused as error:
        raise ReportError(
            f"SMTP server {where} refused the recipient {email.to}: {error.recipients}"
        ) from None
    except (smtplib.SMTPException, OSError) as error:
        raise ReportError(f"SMTP server {where} is unreachable or broke off: {error}") from None


def _said(error: smtplib.SMTPResponseException) -> str:
    text = (
        error.smtp_error.decode(errors="replace")
        if isinstance(error.smtp_error, bytes)
        else str(error.smtp_error)
    )
    return f"{error.smtp_code} {' '.join(text.split())}"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False

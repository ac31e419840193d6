"""The local stack's mail server: a real SMTP server (aiosmtpd) on loopback that asks for a login, as the
stack's smarthost would, and keeps each message in a Maildir per recipient (`<mailbox>/<address>/`), which any
mail client, or `read_mailbox`, reads. Alertmanager's own SMTP dialogue, AUTH included, is exercised; only TLS is
left out (the server offers none, and the local routing says `require_tls: false`)."""

from __future__ import annotations

import email
import email.policy
import mailbox as maildir
import sys
import warnings
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from infra.local.deliveries import DeliveryLog, Directory, mail_to, titled
from infra.local.process import LOOPBACK


def read_mailbox(folder: Path, address: str) -> list[EmailMessage]:
    """The messages delivered to `address`, oldest first."""
    box = folder / address
    if not box.is_dir():
        return []
    kept = maildir.Maildir(box, create=False)
    keys = sorted(kept.keys(), key=lambda key: (kept.get_message(key).get_date(), key))
    return [_parsed(kept.get_bytes(key)) for key in keys]


def _parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


class _Handler:
    """Keeps each accepted message in its recipients' Maildirs and records it as a delivery."""

    def __init__(self, directory: Directory, folder: Path, log: DeliveryLog) -> None:
        self.directory = directory
        self.folder = folder
        self.log = log

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        message = _parsed(raw)
        subject = str(message.get("Subject", ""))
        status, alertnames = titled(subject)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else "?"
        for address in envelope.rcpt_tos:
            (self.folder / address).parent.mkdir(parents=True, exist_ok=True)
            key = maildir.Maildir(self.folder / address, create=True).add(raw)
            self.log.record(f"smtp-{address}", {
                "destination": mail_to(address),
                "via": f"SMTP as {login}",
                "receivers": self.directory.delivering(mail_to(address)),
                "status": status,
                "alertnames": alertnames,
                "body": {"subject": subject, "from": str(message.get("From", "")), "maildir_key": key},
            })  # fmt: skip
        return "250 Message accepted for delivery"


class _Smtp(SMTP):
    """aiosmtpd's server, prompting for a LOGIN as Postfix and Exchange do: Alertmanager's LOGIN client expects
    these prompts, and aiosmtpd's own (`User Name\\0`) make it give up."""

    AuthLoginUsernameChallenge = "Username:"
    AuthLoginPasswordChallenge = "Password:"


class _Controller(Controller):
    def factory(self) -> SMTP:
        return _Smtp(self.handler, **self.SMTP_kwargs)


class MailServer:
    """An SMTP server that accepts only the directory's logins, by LOGIN or PLAIN."""

    def __init__(self, directory: Directory, folder: Path, log: DeliveryLog, port: int) -> None:
        self.directory = directory
        self.port = port
        warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS", UserWarning)
        self._controller = _Controller(
            _Handler(directory, folder, log),
            hostname=LOOPBACK,
            port=port,
            authenticator=self._authenticate,
            auth_required=True,
            auth_require_tls=False,
        )

    @property
    def smarthost(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            user, password = auth_data.login.decode(), auth_data.password.decode()
            if password in self.directory.smtp_logins.get(user, []):
                return AuthResult(success=True, auth_data=auth_data)
            print(f"smtp: refused the login of {user!r} ({mechanism}): unknown user or wrong password",
                  file=sys.stderr, flush=True)  # fmt: skip
        return AuthResult(success=False, handled=False)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

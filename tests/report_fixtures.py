"""Business-report fixtures (a plugin of tests/conftest.py): a real Prometheus on loopback over a TSDB
backfilled with `promtool tsdb create-blocks-from openmetrics` for two ISO weeks of scoring counters and the
score histogram (the second week refusal-heavy, a second model version from its Thursday), and a real SMTP
server (aiosmtpd, in a thread on loopback) that asks for a login and keeps what it receives."""

from __future__ import annotations

import email
import email.policy
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from conventions import contract as c
from infra.local.process import LOOPBACK, free_port, start, stop
from reports.week import DAY, IsoWeek

PREVIOUS_WEEK = IsoWeek(2026, 46)
REPORTED_WEEK = IsoWeek(2026, 47)
EMPTY_WEEK = IsoWeek(2026, 48)
"""After the backfilled data: no sample at all."""
NAMESPACE, APPLICATION = "scoring", "scoring"
"""prod's scoring service."""
STEP_S = 600
OFFSET_S = 3
"""Samples every 10 minutes, 3 s past the grid, so none sits on a day's edge."""
BLOCK = "384h"
"""Blocks of up to 16 days: the two weeks in three blocks rather than 168 two-hour ones (0.6 s rather than 14 s)."""
BASE = 1000.0
"""Counters of a service that ran before the backfill starts: no extrapolation stops at zero."""


@dataclass(frozen=True)
class DayTraffic:
    accepted: int
    rejected: int
    score_mean: float
    version: str = "credit-lgbm-2026.11.0"


NORMAL = [DayTraffic(4250 + 50 * i, 750, 0.12) for i in range(7)]
"""The previous week: 15 % of about 5,000 applications a day refused."""
HEAVY = [
    *(DayTraffic(4000, 1000, 0.16) for _ in range(3)),
    *(DayTraffic(2500, 2500, 0.27, "credit-lgbm-2026.12.0") for _ in range(4)),
]
"""The reported week: 20 % refused on Monday to Wednesday, then 50 % once a new model version serves."""
SMTP_USER, SMTP_PASSWORD = "alertmanager", "s3cret-smtp-password"
"""prod's business receiver logs in as `alertmanager`; the password is the test's own."""


def expected(days: list[DayTraffic]) -> dict[str, float]:
    accepted, rejected = sum(d.accepted for d in days), sum(d.rejected for d in days)
    scores = sum((d.accepted + d.rejected) * d.score_mean for d in days)
    return {"accepted": accepted, "rejected": rejected, "refusal_rate": rejected / (accepted + rejected),
            "score_mean": scores / (accepted + rejected)}  # fmt: skip


def _labels(version: str | None) -> str:
    pairs = {
        c.NAMESPACE: NAMESPACE,
        c.APPLICATION: APPLICATION,
        c.DEPLOYMENT: "CreditScorer",
        c.REPLICA: "r1",
    }
    if version is not None:
        pairs[c.MODEL_VERSION] = version
    return ",".join(f'{k}="{v}"' for k, v in pairs.items())


def _series(
    days: list[tuple[datetime, DayTraffic]], value_per_day: Any, keep: Any
) -> list[tuple[int, float]]:
    """(unix time, counter value) every STEP_S over `days`, growing at a constant rate within each day, for the
    days `keep` selects (a series exists only while its version serves)."""
    points, total = [], BASE
    for day_start, traffic in days:
        per_second = value_per_day(traffic) / DAY.total_seconds()
        first = int(day_start.timestamp())
        if keep(traffic):
            for t in range(first + OFFSET_S, first + int(DAY.total_seconds()), STEP_S):
                points.append((t, total + per_second * (t - first)))
            total += value_per_day(traffic)
    return points


def openmetrics(weeks: list[tuple[IsoWeek, list[DayTraffic]]]) -> str:
    """The two weeks as OpenMetrics text, family by family, each series in time order."""
    days = [
        (start, traffic)
        for week, traffic_days in weeks
        for start, traffic in zip(week.days(), traffic_days, strict=True)
    ]
    versions = sorted({t.version for _, t in days})
    lines: list[str] = []

    def family(metric: str, kind: str, samples: list[tuple[str, str, list[tuple[int, float]]]]) -> None:
        lines.append(f"# TYPE {metric} {kind}")
        for name, labels, points in samples:
            lines.extend(f"{name}{{{labels}}} {value:.6f} {t}" for t, value in points)

    for counter, pick in ((c.ACCEPTED_CREDITS, "accepted"), (c.REJECTED_CREDITS, "rejected")):
        family(counter.name.removesuffix("_total"), "counter", [
            (counter.name, _labels(v), _series(days, lambda t, p=pick: getattr(t, p), lambda t, v=v: t.version == v))
            for v in versions
        ])  # fmt: skip
    everyone = _labels(None)
    decided = lambda t: t.accepted + t.rejected  # noqa: E731
    buckets = []
    for le in (*c.SCORE.buckets, float("inf")):
        shown = "+Inf" if le == float("inf") else f"{le:g}"
        share = lambda t, le=le: decided(t) if t.score_mean <= le else 0  # noqa: E731
        buckets.append((c.SCORE.bucket, f'{everyone},le="{shown}"', _series(days, share, lambda t: True)))
    family(c.SCORE.name, "histogram", [
        *buckets,
        (c.SCORE.sum, everyone, _series(days, lambda t: decided(t) * t.score_mean, lambda t: True)),
        (c.SCORE.count, everyone, _series(days, decided, lambda t: True)),
    ])  # fmt: skip
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class BackfilledPrometheus:
    url: str
    pid: int


@contextmanager
def serving_backfilled(
    folder: Path, weeks: list[tuple[IsoWeek, list[DayTraffic]]]
) -> Iterator[BackfilledPrometheus]:
    """Prometheus 2.42 (Debian) over `weeks` backfilled, scraping nothing, stopped by its PID."""
    source = folder / "weeks.om"
    source.write_text(openmetrics(weeks))
    data = folder / "data"
    subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", f"--max-block-duration={BLOCK}",
                    str(source), str(data)], check=True, capture_output=True, timeout=120)  # fmt: skip
    config = folder / "prometheus.yml"
    config.write_text("global: {}\n")
    port = free_port()
    argv = ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={data}",
            f"--web.listen-address={LOOPBACK}:{port}", "--storage.tsdb.retention.time=100y"]  # fmt: skip
    url = f"http://{LOOPBACK}:{port}"
    running = start("prometheus", argv, folder / "prometheus.log", f"{url}/-/ready", timeout=60)
    try:
        yield BackfilledPrometheus(url, running.pid)
    finally:
        stop(running.pid)


@pytest.fixture(scope="session")
def backfilled_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackfilledPrometheus]:
    """Two backfilled weeks: PREVIOUS_WEEK normal, REPORTED_WEEK refusal-heavy."""
    folder = tmp_path_factory.mktemp("report-prometheus")
    with serving_backfilled(folder, [(PREVIOUS_WEEK, NORMAL), (REPORTED_WEEK, HEAVY)]) as prometheus:
        yield prometheus


@dataclass
class Mailbox:
    """What the SMTP server received, and who logged in."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    @property
    def smarthost(self) -> str:
        return f"{self.host}:{self.port}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            SMTP_USER.encode(),
            SMTP_PASSWORD.encode(),
        )
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)


@contextmanager
def serving_mailbox() -> Iterator[Mailbox]:
    """aiosmtpd on loopback, in a thread, offering AUTH over plain SMTP (loopback only) and checking the login."""
    box = Mailbox(LOOPBACK, free_port())
    controller = Controller(box, hostname=LOOPBACK, port=box.port, authenticator=box.authenticate,
                            auth_require_tls=False)  # fmt: skip
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with serving_mailbox() as box:
        yield box


def write_secrets(folder: Path) -> Path:
    """prod's business receiver's password file, as the credentials Secret mounts it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "smtpPassword").write_text(SMTP_PASSWORD + "\n")
    return folder


@pytest.fixture
def secrets_dir(tmp_path: Path) -> Path:
    return write_secrets(tmp_path / "secrets")

"""Alertmanager 0.25, the local stack's, regroups an alert that fires again within the 15 minutes Prometheus
resends its resolution into a group that has already flushed: the alert goes out at the group's next interval,
not after its group_wait. The README's HA row states this difference from 0.34 (the chart's, which destroys a
group once it is empty), and the e2e fail-over case is built around it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conventions.durations import Duration
from tests.alertmanager_fixtures import RunningAlertmanager, fast_routing, running_alertmanager, wait_for

PAGE, OTHER_PAGE = "ApiErrorRateCritical", "ScoringServiceDown"
"""Two alerts of the urgent route, each in a group of its own (the routes group by alert name)."""
TIMING = {"groupWait": "6s500ms", "groupInterval": "1s", "repeatInterval": "1h"}
WAIT_S, INTERVAL_S = (Duration.parse(TIMING[key]).seconds for key in ("groupWait", "groupInterval"))
RESEND_S = 0.5
"""How often the resolution is resent here (Prometheus: every evaluation or resend delay, for 15 minutes)."""


def _at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _firing_at(am: RunningAlertmanager, name: str, since: float) -> list[float]:
    """When PagerDuty received each firing notification of `name` since `since`."""
    return [d.received_at for d in am.deliveries() if d.receivers == ["pagerduty-p0"] and d.status == "firing"
            and name in d.alertnames and d.received_at >= since]  # fmt: skip


def test_an_alert_firing_again_while_its_resolution_is_resent_skips_its_group_wait(tmp_path: Path) -> None:
    """The page fires (already older than the wait, so it goes out at once) and resolves; its resolution is
    resent as Prometheus does. It then fires again beside another page that never fired: the other waits out
    its group_wait in a new group, while the page, in its group kept alive by the resends, goes out at the
    group's next interval."""
    with running_alertmanager(fast_routing("prod", TIMING), tmp_path) as am:
        first = datetime.now(UTC) - timedelta(minutes=1)
        am.api("/api/v2/alerts", [am.alert(PAGE, startsAt=_at(first))])
        wait_for(lambda: _firing_at(am, PAGE, 0))
        resolution = am.alert(PAGE, startsAt=_at(first), endsAt=_at(datetime.now(UTC)))
        am.api("/api/v2/alerts", [resolution])
        wait_for(lambda: any(d.status == "resolved" for d in am.deliveries() if PAGE in d.alertnames))
        for _ in range(4):
            am.api("/api/v2/alerts", [resolution])
            time.sleep(RESEND_S)
        again, sent = datetime.now(UTC), time.time()
        am.api("/api/v2/alerts", [resolution, am.alert(PAGE, startsAt=_at(again)),
                                  am.alert(OTHER_PAGE, startsAt=_at(again))])  # fmt: skip
        wait_for(lambda: _firing_at(am, PAGE, sent) and _firing_at(am, OTHER_PAGE, sent))
        (page,), (other,) = _firing_at(am, PAGE, sent), _firing_at(am, OTHER_PAGE, sent)
        assert page - sent < 2 * INTERVAL_S
        assert other - sent > WAIT_S - INTERVAL_S

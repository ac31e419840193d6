"""Fault injection's CPU burn: a request keeps a core busy for the time asked, off the event loop, and the
setting is bounded like the others."""

from __future__ import annotations

import asyncio
import time

import pytest
from pydantic import ValidationError

from serving.faults import FaultInjector, Faults, LocalFaults, burn_cpu


@pytest.mark.parametrize("seconds", [0.05, 0.2])
def test_burn_cpu_keeps_a_core_busy_for_the_wall_clock_time_asked(seconds: float) -> None:
    started_cpu, started = time.thread_time(), time.monotonic()
    rounds = burn_cpu(seconds)
    cpu, wall = time.thread_time() - started_cpu, time.monotonic() - started
    assert (
        seconds <= wall < seconds + 0.5
    )  # a round of hashing is about 1 ms; the slack is for a loaded machine
    assert rounds > 0 and cpu > 0.1 * seconds  # busy, not asleep (a shared machine may steal the rest)


def test_a_request_burns_its_cpu_while_the_event_loop_keeps_answering() -> None:
    async def run() -> tuple[float, int]:
        injector = FaultInjector(LocalFaults())
        await injector.put(Faults(cpu_burn_ms=300))
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        started = time.monotonic()
        await injector.apply()
        elapsed = time.monotonic() - started
        ticker.cancel()
        return elapsed, ticks

    elapsed, ticks = asyncio.run(run())
    assert 0.3 <= elapsed < 0.8
    assert ticks >= 10  # the loop ran other coroutines during the burn: it happened in a worker thread


def test_no_burn_by_default() -> None:
    async def run() -> float:
        injector = FaultInjector(LocalFaults())
        started = time.monotonic()
        await injector.apply()
        return time.monotonic() - started

    assert asyncio.run(run()) < 0.05


@pytest.mark.parametrize(
    ("body", "field"),
    [({"cpu_burn_ms": -1}, "cpu_burn_ms"), ({"cpu_burn_ms": 10_001}, "cpu_burn_ms"),
     ({"cpu_burn_ms": "fast"}, "cpu_burn_ms"), ({"cpu_burn_ms": 1.5}, "cpu_burn_ms")],
    ids=["negative", "above-10s", "string", "fraction"],
)  # fmt: skip
def test_bad_cpu_burn_settings_are_rejected_naming_the_field(body: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        Faults.model_validate(body)
    assert [e["loc"] for e in error.value.errors()] == [(field,)]

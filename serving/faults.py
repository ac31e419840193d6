"""Fault injection for end-to-end alert tests: an added delay, a share of scoring requests answered 500, and CPU
burnt by every scoring request (the load a heavier model would put on the replicas' nodes).

Only a local run started with faults enabled has it (the /admin/faults route does not exist otherwise). The
setting lives in one place that every replica reads, so autoscaling cannot dilute it: a named Ray actor in the
Ray Serve app, or a plain holder where there is no Ray (API tests).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Protocol

import ray
from fastapi import HTTPException
from pydantic import BaseModel, ConfigDict, Field

REFRESH_S = 0.5
"""How stale a replica's copy of the faults may be."""
SWITCH_ACTOR = "vigie-fault-switch"
SWITCH_NAMESPACE = "vigie"
BURN_BLOCK = bytes(2**20)
"""What the CPU burn hashes, over and over: hashlib releases the GIL on buffers this large, so concurrent
requests burn several cores from one replica, as native model code would."""


class Faults(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    error_rate: float = Field(0.0, ge=0, le=1, description="Share of scoring requests answered 500.")
    delay_ms: int = Field(0, ge=0, le=60_000, description="Delay added to every scoring request.")
    cpu_burn_ms: int = Field(
        0, ge=0, le=10_000, description="Wall-clock time every scoring request keeps one CPU core busy."
    )


def burn_cpu(seconds: float) -> int:
    """Keep this thread's core busy (hashing, GIL released) for `seconds` of wall-clock time; returns the rounds
    hashed. Bounded by the clock rather than by work done, so a loaded machine stretches no request."""
    deadline = time.monotonic() + seconds
    rounds = 0
    while time.monotonic() < deadline:
        hashlib.sha256(BURN_BLOCK).digest()
        rounds += 1
    return rounds


class FaultSource(Protocol):
    async def get(self) -> Faults: ...

    async def put(self, faults: Faults) -> None: ...


class LocalFaults:
    """Faults held in this process."""

    def __init__(self) -> None:
        self._faults = Faults()

    async def get(self) -> Faults:
        return self._faults

    async def put(self, faults: Faults) -> None:
        self._faults = faults


class _Switch:
    def __init__(self) -> None:
        self._faults: dict[str, float | int] = {}

    @ray.method
    def get(self) -> dict[str, float | int]:
        return self._faults

    @ray.method
    def put(self, faults: dict[str, float | int]) -> None:
        self._faults = faults


_SwitchActor = ray.remote(num_cpus=0)(_Switch)


class SharedFaults:
    """Faults held by one named actor, shared by every replica; detached so that it outlives downscaling."""

    def __init__(self) -> None:
        self._switch = _SwitchActor.options(
            name=SWITCH_ACTOR, namespace=SWITCH_NAMESPACE, get_if_exists=True, lifetime="detached"
        ).remote()

    async def get(self) -> Faults:
        return Faults.model_validate(await self._switch.get.remote())

    async def put(self, faults: Faults) -> None:
        await self._switch.put.remote(faults.model_dump())


class FaultInjector:
    """Applies the current faults to one scoring request; exactly `error_rate` of them fail, evenly spread."""

    def __init__(self, source: FaultSource) -> None:
        self._source = source
        self._faults = Faults()
        self._fetched_at = 0.0
        self._debt = 0.0

    async def current(self) -> Faults:
        if time.monotonic() - self._fetched_at > REFRESH_S:
            self._faults = await self._source.get()
            self._fetched_at = time.monotonic()
        return self._faults

    async def put(self, faults: Faults) -> Faults:
        await self._source.put(faults)
        self._faults, self._fetched_at = faults, time.monotonic()
        return faults

    async def apply(self) -> None:
        """Burn the CPU time (in a worker thread, so the replica's event loop keeps answering), sleep the delay,
        then raise a 500 for the due share of requests."""
        faults = await self.current()
        if faults.cpu_burn_ms:
            await asyncio.to_thread(burn_cpu, faults.cpu_burn_ms / 1000)
        if faults.delay_ms:
            await asyncio.sleep(faults.delay_ms / 1000)
        self._debt += faults.error_rate
        if self._debt >= 1:
            self._debt -= 1
            raise HTTPException(status_code=500, detail="fault injected (POST /admin/faults)")

"""Fault injection for end-to-end alert tests: an added delay and a share of scoring requests answered 500.

Only a local run started with faults enabled has it (the /admin/faults route does not exist otherwise). The
setting lives in one place that every replica reads, so autoscaling cannot dilute it: a named Ray actor in the
Ray Serve app, or a plain holder where there is no Ray (API tests).
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

import ray
from fastapi import HTTPException
from pydantic import BaseModel, ConfigDict, Field

REFRESH_S = 0.5
"""How stale a replica's copy of the faults may be."""
SWITCH_ACTOR = "vigie-fault-switch"
SWITCH_NAMESPACE = "vigie"


class Faults(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    error_rate: float = Field(0.0, ge=0, le=1, description="Share of scoring requests answered 500.")
    delay_ms: int = Field(0, ge=0, le=60_000, description="Delay added to every scoring request.")


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
        """Sleep the delay, then raise a 500 for the due share of requests."""
        faults = await self.current()
        if faults.delay_ms:
            await asyncio.sleep(faults.delay_ms / 1000)
        self._debt += faults.error_rate
        if self._debt >= 1:
            self._debt -= 1
            raise HTTPException(status_code=500, detail="fault injected (POST /admin/faults)")

"""Pulumi's mock runtime, installed once for the session, and each stack's program run under it once."""

from __future__ import annotations

import asyncio

import pulumi
import pytest

from tests.conftest import STACKS
from tests.infra.pulumi_run import PROJECT, Deployment, RecordingMocks, run_stack

MOCKS = RecordingMocks()
pulumi.runtime.set_mocks(MOCKS, project=PROJECT, stack=STACKS[0], preview=False)
MOCKS_LOOP = asyncio.get_event_loop()
"""The event loop set_mocks bound Pulumi's settings to. A test run before in the same process that called
asyncio.run() leaves no loop current, and Pulumi would then await those settings on a new one ("await wasn't
used with future")."""


@pytest.fixture
def mocks() -> RecordingMocks:
    """The session's mocks, to look at what a run registered."""
    return MOCKS


@pytest.fixture(scope="session", params=STACKS)
def deployment(request: pytest.FixtureRequest) -> Deployment:
    """The program of one stack (dev, staging, prod), run under the mocks; imported after set_mocks."""
    from infra import program

    asyncio.set_event_loop(MOCKS_LOOP)
    return run_stack(MOCKS, request.param, program.deploy)

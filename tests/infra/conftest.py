"""Pulumi's mock runtime, installed once for the session, and each stack's program run under it once."""

from __future__ import annotations

import pulumi
import pytest

from tests.conftest import STACKS
from tests.infra.pulumi_run import PROJECT, Deployment, RecordingMocks, run_stack

MOCKS = RecordingMocks()
pulumi.runtime.set_mocks(MOCKS, project=PROJECT, stack=STACKS[0], preview=False)


@pytest.fixture
def mocks() -> RecordingMocks:
    """The session's mocks, to look at what a run registered."""
    return MOCKS


@pytest.fixture(scope="session", params=STACKS)
def deployment(request: pytest.FixtureRequest) -> Deployment:
    """The program of one stack (dev, staging, prod), run under the mocks; imported after set_mocks."""
    from infra import program

    return run_stack(MOCKS, request.param, program.deploy)

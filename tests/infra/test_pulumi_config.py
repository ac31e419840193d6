"""The Pulumi program reads the same settings, with the same validation, as the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
from pulumi.runtime import config as runtime_config

from infra.program import stack_from_pulumi
from infra.settings import SettingsError
from infra.settings.loader import read_config, stack_file
from rules_src.stack import load_stack
from tests.conftest import PROJECT_DIR, STACKS


def _as_engine_passes_it(name: str, edits: dict[str, Any] | None = None) -> None:
    """Config as the Pulumi engine hands it to a Python program: strings, objects JSON-encoded."""
    values, secrets = read_config(stack_file(PROJECT_DIR, name))
    values.update(edits or {})
    config = {f"vigie:{k}": json.dumps(v) for k, v in values.items()}
    config.update({f"vigie:{k}": "ciphertext-stand-in" for k in secrets})
    config["kubernetes:context"] = "prod-cluster"  # other namespaces are not Vigie's
    runtime_config.set_all_config(config, [f"vigie:{k}" for k in secrets])
    pulumi.runtime.settings._set_stack(name)


@pytest.fixture(autouse=True)
def _restore_config() -> Iterator[None]:
    saved_config, saved_stack = dict(runtime_config.CONFIG.get()), pulumi.get_stack()
    yield
    runtime_config.set_all_config(saved_config, [])
    pulumi.runtime.settings._set_stack(saved_stack)


@pytest.mark.parametrize("name", STACKS)
def test_pulumi_config_gives_the_stack_the_cli_reads(name: str) -> None:
    _as_engine_passes_it(name)
    assert stack_from_pulumi() == load_stack(PROJECT_DIR, name)


def test_pulumi_config_is_validated_like_the_stack_file() -> None:
    _as_engine_passes_it("prod", {"alerts": {"LatencyP95High": {"threshold": "2s"}}})
    with pytest.raises(SettingsError) as error:
        stack_from_pulumi()
    assert str(error.value) == (
        "pulumi config of stack prod: vigie:alerts.LatencyP95High.threshold: LatencyP95High's threshold (2s) "
        "must be below LatencyP99Critical's (1s)"
    )

"""Running the Pulumi program of one stack under Pulumi's mock runtime and recording what it declared.

Mocks are installed once per test session (conftest); each run points the runtime at a stack and its config,
as the engine would, with every secret key set to a canary value, then restores the previous config.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret
from pulumi.runtime.sync_await import _sync_await

from infra.settings.loader import read_config, stack_file
from rules_src.stack import load_stack
from tests.conftest import PROJECT_DIR

PROJECT = "vigie"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
GRAFANA_PASSWORD = "generated-grafana-password-canary-5f1c"
"""What the mocked RandomPassword returns, so tests can look for it like a configured secret."""


def canary(key: str, stack: str) -> str:
    """A recognisable value for one secret config key."""
    return f"canary-{stack}-{key}-9d2e41"


@dataclass(frozen=True)
class Registration:
    """One resource the program registered: type, logical name, URN (with its parent types) and inputs."""

    type: str
    name: str
    urn: str
    custom: bool
    inputs: dict[str, Any]

    @property
    def parent_type(self) -> str:
        """The type of the resource's parent, which the URN's type chain ends with."""
        return self.urn.split("::")[2].split("$")[-2]

    @property
    def is_kubernetes_object(self) -> bool:
        return self.type.startswith("kubernetes:") and self.type != HELM_RELEASE

    def manifest(self) -> dict[str, Any]:
        """The object as sent to Kubernetes, secrets unwrapped."""
        return reveal(self.inputs)


class RecordingMocks(pulumi.runtime.Mocks):
    """Echo inputs as outputs; a generated password gets a known value."""

    def __init__(self) -> None:
        self.registered: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.registered.append(args)
        outputs = dict(args.inputs)
        if args.typ == RANDOM_PASSWORD:
            outputs["result"] = GRAFANA_PASSWORD
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


def reveal(value: Any) -> Any:
    """A deserialised input with every Pulumi secret replaced by its plain value."""
    if is_rpc_secret(value):
        return reveal(unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def clear_strings(value: Any) -> Iterator[str]:
    """Every string in an input outside Pulumi secrets (keys included)."""
    if is_rpc_secret(value):
        return
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from clear_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from clear_strings(v)
    elif isinstance(value, str):
        yield value


def engine_config(stack: str, edits: dict[str, Any] | None = None) -> tuple[dict[str, str], list[str]]:
    """The stack file's config (with `edits`) as the engine passes it (JSON-encoded strings), with every secret
    the receivers name set to a canary, as `pulumi config set --secret` would."""
    values, _ = read_config(stack_file(PROJECT_DIR, stack))
    values.update(edits or {})
    secrets = load_stack(PROJECT_DIR, stack).config_secret_keys
    config = {f"{PROJECT}:{k}": json.dumps(v) for k, v in values.items()}
    config.update({f"{PROJECT}:{k}": canary(k, stack) for k in secrets})
    return config, [f"{PROJECT}:{k}" for k in secrets]


@contextmanager
def stack_config(stack: str, edits: dict[str, Any] | None = None) -> Iterator[None]:
    """The runtime pointed at `stack` and its config (with `edits`), restored afterwards."""
    saved_config, saved_stack = dict(runtime_config.CONFIG.get()), pulumi.get_stack()
    config, secret_keys = engine_config(stack, edits)
    runtime_config.set_all_config(config, secret_keys)
    runtime_settings._set_stack(stack)
    try:
        yield
    finally:
        runtime_config.set_all_config(saved_config, [])
        runtime_settings._set_stack(saved_stack)


@dataclass(frozen=True)
class Deployment:
    """What one stack's program declared and exported."""

    stack: str
    registrations: tuple[Registration, ...]
    outputs: dict[str, Any]
    secret_outputs: frozenset[str]

    def kubernetes_objects(self) -> list[Registration]:
        return [r for r in self.registrations if r.is_kubernetes_object]

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]

    def manifests(self, kind: str) -> list[dict[str, Any]]:
        return [r.manifest() for r in self.kubernetes_objects() if r.inputs["kind"] == kind]

    def named(self, kind: str, name: str) -> dict[str, Any]:
        """The one object of `kind` called `name` (a kind Vigie declares more than one of, e.g. CronJob)."""
        (found,) = [m for m in self.manifests(kind) if m["metadata"]["name"] == name]
        return found

    def releases(self) -> dict[str, dict[str, Any]]:
        """Helm releases by chart name, as inputs."""
        return {r.inputs["chart"]: r.manifest() for r in self.of_type(HELM_RELEASE)}


def _urns(stack: str) -> dict[tuple[str, str], str]:
    monitor = runtime_settings.get_monitor()
    assert isinstance(monitor, pulumi.runtime.mocks.MockMonitor)
    found = {}
    for urn in monitor.get_registered_resources():
        parts = urn.split("::")
        if parts[0] == f"urn:pulumi:{stack}":
            found[(parts[2].split("$")[-1], parts[3])] = urn
    return found


def run_stack(mocks: RecordingMocks, stack: str, program: Any) -> Deployment:
    """Run `program(stack_settings) -> outputs` for `stack` and collect what it registered and exported."""
    from infra.program import stack_from_pulumi

    exported: dict[str, Any] = {}

    @pulumi.runtime.test
    def run() -> pulumi.Output[Any]:
        exported.update(program(stack_from_pulumi()))
        return pulumi.Output.from_input(exported)

    mocks.registered.clear()
    with stack_config(stack):
        run()
        registered = list(mocks.registered)
    urns = _urns(stack)
    registrations = tuple(
        Registration(a.typ, a.name, urns[(a.typ, a.name)], a.custom, dict(a.inputs)) for a in registered
    )
    outputs = {k: _sync_await(pulumi.Output.from_input(v).future()) for k, v in exported.items()}
    secret = {k for k, v in exported.items() if _sync_await(pulumi.Output.from_input(v).is_secret())}
    return Deployment(stack, registrations, outputs, frozenset(secret))

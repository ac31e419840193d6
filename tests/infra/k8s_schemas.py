"""Validating a manifest: core kinds against kubernetes-validate's strict schemas, custom resources against the
reference CRDs. Returns the problems as lines naming the field path; empty means valid."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import kubernetes_validate
from referencing import Registry, Resource

from tests.infra.reference import CRD_FILES, crd_schema

K8S_VERSION = kubernetes_validate.latest_version()
DEFINITIONS_URI = "https://kubernetes.io/api/_definitions.json"


def _schema_dir() -> Any:
    return resources.files("kubernetes_validate") / "kubernetes-json-schema" / f"v{K8S_VERSION}-local-strict"


@cache
def _registry() -> Registry:
    definitions = json.loads((_schema_dir() / "_definitions.json").read_text(encoding="utf-8"))
    return Resource.from_contents(definitions) @ Registry()


@cache
def _core_validator(api_version: str, kind: str) -> jsonschema.Draft202012Validator:
    group, _, version = api_version.rpartition("/")
    prefix = f"{group.split('.')[0]}-" if group else ""
    schema = json.loads(
        (_schema_dir() / f"{kind.lower()}-{prefix}{version}.json").read_text(encoding="utf-8")
    )
    return jsonschema.Draft202012Validator(schema, registry=_registry())


def definition_validator(name: str) -> jsonschema.Draft202012Validator:
    """A validator for one Kubernetes type, e.g. io.k8s.api.core.v1.ResourceRequirements."""
    return jsonschema.Draft202012Validator({"$ref": f"{DEFINITIONS_URI}#/$defs/{name}"}, registry=_registry())


@cache
def _crd_validator(api_version: str, kind: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(crd_schema(api_version, kind))


def problems(validator: jsonschema.Draft202012Validator, instance: Any, where: str) -> list[str]:
    found = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{where}.{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in found]


def manifest_problems(manifest: dict[str, Any]) -> list[str]:
    api_version, kind = manifest["apiVersion"], manifest["kind"]
    where = f"{kind}/{manifest['metadata']['name']}"
    if (api_version, kind) in CRD_FILES:
        return problems(_crd_validator(api_version, kind), manifest, where)
    return problems(_core_validator(api_version, kind), manifest, where)

"""Secrets stay secret: the receivers' and the object storage's credentials and Grafana's generated password are Pulumi secrets from
config to the Kubernetes Secret, and appear in clear nowhere else: not in other resources' inputs, not in the
Helm values, not in stack outputs, not in generated/."""

from __future__ import annotations

from pathlib import Path

from botocore.configloader import raw_config_parse

from infra.manifests.object_storage import CREDENTIALS_KEY, STORAGE_SECRET
from rules_src.alertmanager import CREDENTIALS_SECRET
from rules_src.stack import load_stack
from tests.conftest import PROJECT_DIR, STACKS, CliRunner
from tests.infra.pulumi_run import GRAFANA_PASSWORD, Deployment, canary, clear_strings, reveal


def _canaries(stack: str) -> dict[str, str]:
    return {key: canary(key, stack) for key in load_stack(PROJECT_DIR, stack).config_secret_keys}


def test_canaries_are_really_given_to_the_program(deployment: Deployment, tmp_path: Path) -> None:
    """The positive control: each receiver's secret reaches the credentials Secret, and each object-storage
    secret the storage Secret, in the shared-credentials file botocore reads (parsed here by botocore)."""
    stack = load_stack(PROJECT_DIR, deployment.stack)
    secrets = {m["metadata"]["name"]: m["stringData"] for m in deployment.manifests("Secret")}
    canaries = _canaries(deployment.stack)
    assert secrets[CREDENTIALS_SECRET] == {key: canaries[key] for key in stack.secret_keys} != {}
    storage = stack.settings.platform.object_storage
    assert storage is not None
    assert list(secrets[STORAGE_SECRET]) == [CREDENTIALS_KEY]
    (tmp_path / CREDENTIALS_KEY).write_text(secrets[STORAGE_SECRET][CREDENTIALS_KEY])
    assert raw_config_parse(str(tmp_path / CREDENTIALS_KEY)) == {
        "default": {
            "aws_access_key_id": canaries[storage.access_key_id_secret],
            "aws_secret_access_key": canaries[storage.secret_access_key_secret],
        }
    }


def test_no_secret_appears_in_clear_in_any_resource_input(deployment: Deployment) -> None:
    secrets = [*_canaries(deployment.stack).values(), GRAFANA_PASSWORD]
    for registration in deployment.registrations:
        clear = "\n".join(clear_strings(registration.inputs))
        leaked = [s for s in secrets if s in clear]
        assert leaked == [], f"{registration.name} holds {leaked} in clear"


def test_only_the_three_secrets_hold_secret_values_at_all(deployment: Deployment) -> None:
    secrets = [*_canaries(deployment.stack).values(), GRAFANA_PASSWORD]
    holders = {r.name for r in deployment.registrations if any(s in str(reveal(r.inputs)) for s in secrets)}
    assert holders == {
        "monitoring-secret-vigie-alertmanager-credentials",
        "monitoring-secret-vigie-grafana-admin",
        f"scoring-secret-{STORAGE_SECRET}",
    }


def test_stack_outputs_hold_no_secret_in_clear(deployment: Deployment) -> None:
    clear = {k: v for k, v in deployment.outputs.items() if k not in deployment.secret_outputs}
    assert not any(s in str(clear) for s in [*_canaries(deployment.stack).values(), GRAFANA_PASSWORD])
    assert deployment.outputs["grafanaAdminPassword"] == GRAFANA_PASSWORD
    assert "grafanaAdminPassword" in deployment.secret_outputs


def test_render_never_writes_a_secret_value(project: Path, vigie: CliRunner) -> None:
    """Secrets given as Pulumi would store them ({secure: …}) never reach generated/; redaction markers do."""
    planted: list[str] = []
    for name in STACKS:
        path = project / f"Pulumi.{name}.yaml"
        lines = [f"  vigie:{key}:\n    secure: {value}\n" for key, value in _canaries(name).items()]
        path.write_text(path.read_text() + "".join(lines))
        planted += _canaries(name).values()
    assert vigie("--project-dir", project, "render", "--all")[0] == 0
    generated = {p: p.read_text() for p in (project / "generated").rglob("*") if p.is_file()}
    assert [p for p, text in generated.items() if any(s in text for s in planted)] == []
    monitoring = (project / "generated" / "prod" / "manifests" / "monitoring.yaml").read_text()
    assert "smtpPassword: '<redacted: pulumi secret vigie:smtpPassword>'" in monitoring
    scoring = (project / "generated" / "prod" / "manifests" / "scoring.yaml").read_text()
    assert "aws_secret_access_key = <redacted: pulumi secret vigie:storageSecretAccessKey>\n" in scoring

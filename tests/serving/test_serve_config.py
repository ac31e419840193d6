"""The Serve config built from a stack: valid for Ray Serve, every knob from the settings, local-only options
off unless asked for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ray.serve.schema import ServeDeploySchema

from infra.settings.model import Model, Serving
from rules_src.stack import Alerts, Stack, load_stack
from serving.app import build_app
from serving.autoscaling_policy import IMPORT_PATH as POLICY_PATH
from serving.options import DEPLOYMENT, IMPORT_PATH, ScoringOptions
from serving.serve_config import (
    DIRECT_INGRESS_ENV,
    LocalOverrides,
    Placement,
    serve_config,
    serve_environment,
)
from tests.conftest import PROJECT_DIR, STACKS
from tests.infra.stack_edits import edit_stack


def _slices(stack: Stack) -> tuple[Serving, Model, Alerts]:
    return stack.settings.serving, stack.settings.model, stack.alerts


def _deployment(config: dict[str, Any]) -> dict[str, Any]:
    return dict(config["applications"][0]["deployments"][0])


@pytest.mark.parametrize("name", STACKS)
def test_each_stacks_config_is_a_valid_serve_deploy_config(name: str) -> None:
    stack = load_stack(PROJECT_DIR, name)
    config = ServeDeploySchema.model_validate(serve_config(*_slices(stack)))
    (app,) = config.applications
    assert (app.name, app.route_prefix, app.import_path) == (
        stack.settings.serving.application,
        "/",
        IMPORT_PATH,
    )
    assert [d.name for d in app.deployments] == [DEPLOYMENT]


def test_autoscaling_resources_batching_and_log_come_from_the_settings(project: Path) -> None:
    path = project / "Pulumi.dev.yaml"
    edit_stack(
        path,
        "vigie:serving",
        "autoscaling",
        {
            "minReplicas": 2,
            "maxReplicas": 5,
            "targetOngoingRequests": 4,
            "upscaleDelay": "15s",
            "downscaleDelay": "3m",
            "lookBackPeriod": "20s",
        },
    )
    edit_stack(path, "vigie:alerts", "CpuUsageHigh", {"threshold": 0.7})
    edit_stack(path, "vigie:serving", "resources", {"cpus": 0.5, "memory": "512Mi"})
    edit_stack(path, "vigie:serving", "batching", {"maxBatchSize": 8, "batchWaitTimeout": "2ms"})
    edit_stack(
        path,
        "vigie:serving",
        "predictionLog",
        {"uri": "s3://scoring-log/dev", "flushRows": 200, "flushInterval": "1m"},
    )
    edit_stack(path, "vigie:serving", "gracefulShutdownTimeout", "40s")
    edit_stack(path, "vigie:serving", "ingress", "proxy")
    edit_stack(path, "vigie:serving", "accessLog", False)
    config = serve_config(*_slices(load_stack(project, "dev")))
    deployment = _deployment(config)
    assert deployment["max_ongoing_requests"] == 32
    assert deployment["autoscaling_config"] == {
        "min_replicas": 2,
        "initial_replicas": 2,
        "max_replicas": 5,
        "target_ongoing_requests": 4.0,
        "upscale_delay_s": 15.0,
        "downscale_delay_s": 180.0,
        "look_back_period_s": 20.0,
        "policy": {"policy_function": POLICY_PATH, "policy_kwargs": {"cpu_threshold": 0.7}},
    }
    assert deployment["ray_actor_options"] == {"num_cpus": 0.5, "memory": 512 * 2**20}
    assert deployment["graceful_shutdown_timeout_s"] == 40.0
    assert config["applications"][0]["logging_config"] == {"enable_access_log": False}
    options = ScoringOptions.model_validate(config["applications"][0]["args"])
    assert (options.max_batch_size, options.batch_wait_timeout_s) == (8, 0.002)
    assert (options.prediction_log_uri, options.flush_rows, options.flush_interval_s) == (
        "s3://scoring-log/dev",
        200,
        60.0,
    )
    assert options.log_close_timeout_s < 40.0


def test_a_kubernetes_config_keeps_uris_and_listens_on_the_pod() -> None:
    config = serve_config(*_slices(load_stack(PROJECT_DIR, "prod")))
    assert config["http_options"] == {"host": "0.0.0.0", "port": 8000}
    args = config["applications"][0]["args"]
    assert (args["artifact_uri"], args["prediction_log_uri"], args["declared_version"]) == (
        "s3://vigie-prod/models/credit-lgbm-2026.11.0",
        "s3://vigie-prod/predictions",
        "credit-lgbm-2026.11.0",
    )


@pytest.mark.parametrize(
    ("local", "artifact"),
    [
        (True, "run/object-storage/s3/vigie-dev/models/credit-lgbm-2026.11.0"),
        (False, "s3://vigie-dev/models/credit-lgbm-2026.11.0"),
    ],
    ids=["a local run keeps object storage in its run folder", "a pod's data volume keeps it in the bucket"],
)
def test_a_config_with_a_base_resolves_relative_uris_under_it(
    tmp_path: Path, local: bool, artifact: str
) -> None:
    placement = Placement("127.0.0.1", 18000, tmp_path, local=local)
    config = serve_config(*_slices(load_stack(PROJECT_DIR, "dev")), placement)
    assert config["http_options"] == {"host": "127.0.0.1", "port": 18000}
    args = config["applications"][0]["args"]
    assert (args["artifact_uri"], args["prediction_log_uri"]) == (
        str(tmp_path / artifact) if local else artifact,
        str(tmp_path / "run/predictions"),
    )


@pytest.mark.parametrize(
    ("overrides", "faults", "version"),
    [
        (None, False, None),
        (LocalOverrides(), False, None),
        (LocalOverrides("v-other", True), True, "v-other"),
    ],
)
def test_faults_and_a_version_override_only_when_a_local_run_asks(
    overrides: LocalOverrides | None, faults: bool, version: str | None
) -> None:
    args = serve_config(*_slices(load_stack(PROJECT_DIR, "dev")), overrides=overrides)["applications"][0][
        "args"
    ]
    assert (args["faults"], args["model_version"]) == (faults, version)


def test_the_import_path_builds_the_application_from_the_configs_args() -> None:
    args = serve_config(*_slices(load_stack(PROJECT_DIR, "dev")))["applications"][0]["args"]
    assert type(build_app(args)).__name__ == "Application"
    with pytest.raises(ValueError, match="flush_rows"):
        build_app({**args, "flush_rows": 0})


@pytest.mark.parametrize(("ingress", "budget"), [("proxy", 40.0), ("direct", 70.0), ("haproxy", 70.0)])
def test_replicas_serving_http_themselves_get_the_shutdown_budget_after_their_draining_period(
    project: Path, ingress: str, budget: float
) -> None:
    """Serve keeps a direct-ingress replica reachable for 30 s before it drains; the budget comes after."""
    edit_stack(project / "Pulumi.dev.yaml", "vigie:serving", "gracefulShutdownTimeout", "40s")
    edit_stack(project / "Pulumi.dev.yaml", "vigie:serving", "ingress", ingress)
    stack = load_stack(project, "dev")
    deployment = _deployment(serve_config(*_slices(stack)))
    assert deployment["graceful_shutdown_timeout_s"] == budget
    assert ScoringOptions.model_validate(
        serve_config(*_slices(stack))["applications"][0]["args"]
    ).log_close_timeout_s == pytest.approx(32.0)


_HAPROXY_ENV = {
    "RAY_SERVE_THROUGHPUT_OPTIMIZED": "1",
    "RAY_SERVE_ENABLE_HA_PROXY": "1",
    "RAY_SERVE_HAPROXY_METRICS_ENABLED": "0",
}


@pytest.mark.parametrize(
    ("ingress", "env"), [("proxy", {}), ("direct", DIRECT_INGRESS_ENV), ("haproxy", _HAPROXY_ENV)]
)
def test_the_ingress_setting_chooses_the_ray_environment(
    project: Path, ingress: str, env: dict[str, str]
) -> None:
    edit_stack(project / "Pulumi.dev.yaml", "vigie:serving", "ingress", ingress)
    stack: Stack = load_stack(project, "dev")
    assert serve_environment(stack.settings.serving) == env

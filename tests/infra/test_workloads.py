"""Safe by default: every workload Vigie defines runs non-root with no privilege, sized, probed when it serves,
labelled; the RayService scales within the serving settings; the drift job runs the drift CLI one at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from infra.cli import parser
from infra.labels import PART_OF, PART_OF_LABEL, STACK_LABEL
from infra.local.serve_ports import ServePorts
from infra.manifests.data_volume import DATA_DIR, in_cluster, needs_data_volume, stack_uris
from infra.manifests.drift_cronjob import SETTINGS_DIR
from infra.manifests.names import REPORT_JOB, endpoints
from infra.manifests.object_storage import CREDENTIALS_KEY, SHARED_CREDENTIALS_FILE, STORAGE_SECRET
from infra.manifests.report_cronjob import SECRETS_DIR, SECRETS_VOLUME
from infra.manifests.scoring import serve_document
from rules_src.alertmanager import CREDENTIALS_SECRET
from rules_src.stack import load_stack
from tests.conftest import PROJECT_DIR
from tests.infra.drift_schedules import deployed_dag_spec, drift_pod_template
from tests.infra.pulumi_run import Deployment

LABELS = ("app.kubernetes.io/component", "app.kubernetes.io/managed-by", "app.kubernetes.io/name")


def _pod_templates(deployment: Deployment) -> dict[str, dict[str, Any]]:
    """Every pod template Vigie defines, by owner, with whether it serves (and so must be probed)."""
    (ray,) = deployment.manifests("RayService")
    (pushgateway,) = deployment.manifests("Deployment")
    cluster = ray["spec"]["rayClusterConfig"]
    templates = {
        "ray head": cluster["headGroupSpec"]["template"],
        "ray workers": cluster["workerGroupSpecs"][0]["template"],
        "pushgateway": pushgateway["spec"]["template"],
        "drift job": drift_pod_template(deployment),
    }
    report = _report_job(deployment)
    if report is not None:
        templates["report job"] = report["spec"]["jobTemplate"]["spec"]["template"]
    return templates


def _report_job(deployment: Deployment) -> dict[str, Any] | None:
    """The business report's CronJob: only a stack whose business route has e-mail receivers has one."""
    found = [m for m in deployment.manifests("CronJob") if m["metadata"]["name"] == REPORT_JOB]
    return found[0] if found else None


def test_every_pod_runs_non_root_with_the_default_seccomp_profile(deployment: Deployment) -> None:
    for owner, template in _pod_templates(deployment).items():
        security = template["spec"]["securityContext"]
        assert security["runAsNonRoot"] is True and security["runAsUser"] > 0, owner
        assert security["seccompProfile"] == {"type": "RuntimeDefault"}, owner


def _restricted(container: dict[str, Any]) -> bool:
    security = container["securityContext"]
    return (
        security["allowPrivilegeEscalation"] is False
        and security["capabilities"] == {"drop": ["ALL"]}
        and security["privileged"] is False
        and security["readOnlyRootFilesystem"] is True
        and security["runAsNonRoot"] is True
    )


def test_every_container_drops_all_privilege_on_a_read_only_root(deployment: Deployment) -> None:
    for owner, template in _pod_templates(deployment).items():
        for container in template["spec"]["containers"]:
            assert _restricted(container), f"{owner}/{container['name']}"
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert mounts & {"/tmp", "/data"}, f"{owner} has nowhere writable"
    (ray,) = deployment.manifests("RayService")
    assert _restricted(ray["spec"]["rayClusterConfig"]["autoscalerOptions"])


def test_every_container_requests_and_is_limited_to_cpu_and_memory(deployment: Deployment) -> None:
    (ray,) = deployment.manifests("RayService")
    sized = [c for t in _pod_templates(deployment).values() for c in t["spec"]["containers"]]
    sized.append(ray["spec"]["rayClusterConfig"]["autoscalerOptions"])
    for container in sized:
        resources = container["resources"]
        assert set(resources["requests"]) == set(resources["limits"]) == {"cpu", "memory"}


def test_serving_pods_have_liveness_and_readiness_probes(deployment: Deployment) -> None:
    templates = _pod_templates(deployment)
    for owner in ("ray head", "ray workers", "pushgateway"):
        (container,) = templates[owner]["spec"]["containers"]
        assert container["livenessProbe"]["httpGet"] and container["readinessProbe"]["httpGet"], owner
    dag = deployed_dag_spec(deployment)
    if dag is None:
        job = deployment.named("CronJob", "vigie-drift")
        assert job["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"] > 0
    else:
        assert dag["try_timeout_seconds"] > 0


HAPROXY_INGRESS = {
    "RAY_SERVE_ENABLE_HA_PROXY": "1",
    "RAY_SERVE_THROUGHPUT_OPTIMIZED": "1",
    "RAY_SERVE_HAPROXY_METRICS_ENABLED": "0",
}


LOCAL_SERVE_PORTS = set(ServePorts(range(1, 65)).environment())
"""What a local run leases, since its clusters share one network (infra/local/serve_ports.py)."""


def test_every_ray_container_runs_serves_haproxy_ingress_and_outlives_a_replicas_drain(
    deployment: Deployment,
) -> None:
    """Every committed stack deploys `ingress: haproxy`: Serve's controller (head), each node's HAProxy and the
    replicas read it from their environment; a pod's grace covers the replica's 30 s drain and its budget. The
    pods keep Serve's default ports, which only a local run leases."""
    s = load_stack(PROJECT_DIR, deployment.stack).settings
    assert s.serving.ingress == "haproxy"
    (ray,) = deployment.manifests("RayService")
    (config,) = yaml.safe_load(ray["spec"]["serveConfigV2"])["applications"][0]["deployments"]
    budget = s.serving.graceful_shutdown_timeout.seconds + 30
    assert config["graceful_shutdown_timeout_s"] == budget
    for owner, template in _pod_templates(deployment).items():
        if owner.startswith("ray "):
            (container,) = template["spec"]["containers"]
            env = {e["name"]: e.get("value") for e in container["env"]}
            assert {name: env.get(name) for name in HAPROXY_INGRESS} == HAPROXY_INGRESS, owner
            assert not LOCAL_SERVE_PORTS & set(env), (
                f"{owner}: a pod's own network takes Serve's default ports"
            )
            assert template["spec"]["terminationGracePeriodSeconds"] > budget, owner


def test_only_the_ray_head_mounts_a_service_account_token(deployment: Deployment) -> None:
    """The autoscaler sidecar in the head scales the cluster through the API; nothing else calls it."""
    mounted = {o: t["spec"]["automountServiceAccountToken"] for o, t in _pod_templates(deployment).items()}
    reports = {"report job": False} if _report_job(deployment) else {}
    assert mounted == {
        "ray head": True,
        "ray workers": False,
        "pushgateway": False,
        "drift job": False,
        **reports,
    }


def test_every_object_and_pod_carries_vigie_labels(deployment: Deployment) -> None:
    stack = deployment.stack
    labelled = [r.manifest()["metadata"] for r in deployment.kubernetes_objects()]
    labelled += [t["metadata"] for t in _pod_templates(deployment).values()]
    for metadata in labelled:
        labels = metadata["labels"]
        assert labels[PART_OF_LABEL] == PART_OF and labels[STACK_LABEL] == stack, metadata["name"]
        assert all(labels.get(key) for key in LABELS), metadata["name"]


def test_vigie_namespaces_enforce_the_restricted_pod_security_level(deployment: Deployment) -> None:
    enforced = {
        m["metadata"]["name"]: m["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
        for m in deployment.manifests("Namespace")
    }
    s = load_stack(PROJECT_DIR, deployment.stack).settings
    assert enforced == {
        s.monitoring.namespace: "privileged",
        s.serving.namespace: "restricted",
        s.platform.kuberay_namespace: "restricted",
    }


def test_ray_service_autoscales_workers_within_the_serving_bounds(deployment: Deployment) -> None:
    s = load_stack(PROJECT_DIR, deployment.stack).settings
    (ray,) = deployment.manifests("RayService")
    cluster = ray["spec"]["rayClusterConfig"]
    (workers,) = cluster["workerGroupSpecs"]
    assert cluster["enableInTreeAutoscaling"] is True and cluster["rayVersion"] == s.platform.ray_version
    assert (workers["minReplicas"], workers["replicas"], workers["maxReplicas"]) == (
        s.serving.autoscaling.min_replicas,
        s.serving.autoscaling.min_replicas,
        s.serving.autoscaling.max_replicas,
    )
    assert cluster["headGroupSpec"]["rayStartParams"]["num-cpus"] == "0"
    assert workers["template"]["spec"]["containers"][0]["resources"]["limits"] == {
        "cpu": s.platform.scoring.worker.cpu,
        "memory": s.platform.scoring.worker.memory,
    }


def test_drift_cron_job_runs_the_drift_cli_one_run_at_a_time(deployment: Deployment) -> None:
    stack = load_stack(PROJECT_DIR, deployment.stack)
    s = stack.settings
    if s.drift.scheduler == "airflow":  # the DAG runs it: tests/infra/test_drift_dag_deployed.py
        assert "vigie-drift" not in {m["metadata"]["name"] for m in deployment.manifests("CronJob")}
        return
    cron_job = deployment.named("CronJob", "vigie-drift")
    spec = cron_job["spec"]
    assert (spec["schedule"], spec["concurrencyPolicy"]) == (s.drift.schedule, "Forbid")
    job = spec["jobTemplate"]["spec"]
    assert job["backoffLimit"] == s.platform.drift_job.backoff_limit
    assert job["activeDeadlineSeconds"] == s.platform.drift_job.active_deadline.seconds
    (container,) = job["template"]["spec"]["containers"]
    command = container["command"]
    assert command[0] == "vigie"
    args = parser().parse_args(command[1:])
    assert (args.command, args.drift_command, args.stack) == ("drift", "run", stack.name)
    assert (args.project_dir, args.pushgateway) == (
        Path(SETTINGS_DIR),
        endpoints(s.monitoring, s.serving)["pushgateway"].url,
    )
    assert job["template"]["spec"]["serviceAccountName"] == "vigie-drift"


def test_drift_job_has_its_own_service_account_and_no_api_rights(deployment: Deployment) -> None:
    account = deployment.named("ServiceAccount", "vigie-drift")
    assert account["automountServiceAccountToken"] is False
    rbac = [r.manifest() for r in deployment.kubernetes_objects() if "Role" in r.inputs["kind"]]
    bound = [s["name"] for m in rbac if m["kind"].endswith("Binding") for s in m["subjects"]]
    assert "vigie-drift" not in bound  # the only rights are the Airflow worker's, to run the drift pod
    airflow = load_stack(PROJECT_DIR, deployment.stack).settings.drift.scheduler == "airflow"
    assert [m["kind"] for m in rbac] == (["Role", "RoleBinding"] if airflow else [])


def test_drift_settings_file_loads_as_the_deployed_stack(deployment: Deployment, tmp_path: Path) -> None:
    """The mounted Pulumi.<stack>.yaml gives `vigie drift run` exactly the settings the program deployed."""
    (config_map,) = [
        m for m in deployment.manifests("ConfigMap") if m["metadata"]["name"] == "vigie-drift-settings"
    ]
    ((file_name, text),) = config_map["data"].items()
    (tmp_path / file_name).write_text(text)
    assert load_stack(tmp_path, deployment.stack) == load_stack(PROJECT_DIR, deployment.stack)


def test_scoring_and_drift_pods_see_the_same_storage(deployment: Deployment) -> None:
    """The Serve app and the drift job read the same URIs: relative ones on the shared data volume, at the same
    paths (dev), object storage with the stack's storage Secret (every committed stack's artifact), mounted
    read-only as the credentials file botocore is pointed at, none of it in the environment."""
    stack = load_stack(PROJECT_DIR, deployment.stack)
    s = stack.settings
    model, log, reports = (in_cluster(uri) for uri in stack_uris(s.model, s.serving, s.drift))
    args = serve_document(s.serving, s.model, stack.alerts)["applications"][0]["args"]
    assert (args["artifact_uri"], args["prediction_log_uri"]) == (model, log)
    command = drift_pod_template(deployment)["spec"]["containers"][0]["command"]
    parsed = parser().parse_args(command[1:])
    assert (parsed.model_uri, parsed.log_uri, parsed.output_uri) == (model, log, reports)
    templates = _pod_templates(deployment)
    on_volume = needs_data_volume(stack_uris(s.model, s.serving, s.drift))
    (secret,) = [m for m in deployment.manifests("Secret") if m["metadata"]["name"] == STORAGE_SECRET]
    assert list(secret["stringData"]) == [CREDENTIALS_KEY]
    for owner in ("ray head", "ray workers", "drift job"):
        volumes = {v["name"]: v for v in templates[owner]["spec"]["volumes"]}
        container = templates[owner]["spec"]["containers"][0]
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        if on_volume:
            assert volumes["data"]["persistentVolumeClaim"]["claimName"] == "vigie-data", owner
            assert mounts["data"] == DATA_DIR, owner
        else:
            assert "data" not in volumes and "data" not in mounts, owner
        (storage,) = [v for v in volumes.values() if v.get("secret", {}).get("secretName") == STORAGE_SECRET]
        (mount,) = [m for m in container["volumeMounts"] if m["name"] == storage["name"]]
        assert mount["readOnly"] is True, owner
        env = {e["name"]: e for e in container["env"]}
        assert env[SHARED_CREDENTIALS_FILE]["value"] == f"{mount['mountPath']}/{CREDENTIALS_KEY}", owner
        assert "envFrom" not in container and all("valueFrom" not in e for e in env.values()), owner


def test_report_cron_job_mails_the_business_report_with_only_the_smtp_passwords(
    deployment: Deployment,
) -> None:
    """Beside the credentials Secret (a pod mounts Secrets of its own namespace), it mounts only the business
    receivers' SMTP password keys, where its command reads them; dev, whose business route has no e-mail, has no
    report."""
    s = load_stack(PROJECT_DIR, deployment.stack).settings
    emails = s.alerting.business_emails()
    cron_job = _report_job(deployment)
    assert (cron_job is not None) == bool(emails) == (deployment.stack != "dev")
    if cron_job is None:
        return
    spec = cron_job["spec"]
    assert (cron_job["metadata"]["namespace"], spec["schedule"], spec["concurrencyPolicy"]) == (
        s.monitoring.namespace, s.report.schedule, "Forbid",
    )  # fmt: skip
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    args = parser().parse_args(container["command"][1:])
    assert (args.command, args.report_command, args.stack, args.project_dir) == (
        "report", "business", deployment.stack, Path(SETTINGS_DIR),
    )  # fmt: skip
    assert (args.prometheus, args.secrets_dir) == (
        endpoints(s.monitoring, s.serving)["prometheus"].url, Path(SECRETS_DIR),
    )  # fmt: skip
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes[SECRETS_VOLUME]["secret"] == {
        "secretName": CREDENTIALS_SECRET,
        "items": [{"key": e.password_secret, "path": e.password_secret} for e in emails.values()],
    }
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert (mounts[SECRETS_VOLUME]["mountPath"], mounts[SECRETS_VOLUME]["readOnly"]) == (SECRETS_DIR, True)
    assert pod["serviceAccountName"] == REPORT_JOB and container["image"] == s.platform.images.vigie


def test_report_settings_file_loads_as_the_deployed_stack(deployment: Deployment, tmp_path: Path) -> None:
    maps = [m for m in deployment.manifests("ConfigMap") if m["metadata"]["name"] == "vigie-report-settings"]
    for config_map in maps:
        ((file_name, text),) = config_map["data"].items()
        (tmp_path / file_name).write_text(text)
        assert load_stack(tmp_path, deployment.stack) == load_stack(PROJECT_DIR, deployment.stack)
    assert len(maps) == (deployment.stack != "dev")

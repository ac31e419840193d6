"""`vigie model …` (train the model, publish it, ingest delayed labels) and `vigie serve …` (the local scoring service,
and the Serve config a RayService deploys).

The commands import their modules when they run: LightGBM, scikit-learn and pyarrow take over a second to
import, which every other `vigie` command would otherwise pay.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from conventions.errors import UserError
from infra.settings.model import ObjectStorage
from infra.settings.types import local_location, resolve_location
from rules_src.stack import Stack, load_stack

DEFAULT_RUN_DIR = Path("run/serve")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    _register_model(
        commands.add_parser("model", help="train the credit model, publish it; ingest delayed labels")
    )
    _register_serve(
        commands.add_parser("serve", help="run the scoring service locally; print its Serve config")
    )


def _stack_argument(command: argparse.ArgumentParser) -> None:
    command.add_argument("--stack", required=True, metavar="NAME", help="the stack whose settings apply")


def _register_model(model: argparse.ArgumentParser) -> None:
    actions = model.add_subparsers(dest="action", required=True, metavar="ACTION")
    training = actions.add_parser("train", help="train on synthetic data and write the model artifact folder")
    _stack_argument(training)
    training.add_argument(
        "--out",
        metavar="URI",
        help="artifact folder or fsspec URI (default: vigie:model.artifactUri as local runs keep it: a path "
        "under the project, object storage under run/object-storage/)",
    )
    training.add_argument("--version", help="model version to record (default: vigie:model.version)")
    training.set_defaults(run=run_train)
    publishing = actions.add_parser(
        "publish", help="copy a trained artifact to vigie:model.artifactUri, recording its version and hash"
    )
    _stack_argument(publishing)
    publishing.add_argument(
        "--from",
        dest="source",
        metavar="URI",
        help="the trained artifact folder (default: where `vigie model train` writes it)",
    )
    publishing.add_argument(
        "--secrets-dir",
        type=Path,
        help="a folder holding one file per object-storage secret key the stack names "
        "(vigie:platform.objectStorage), each holding its value; needed for s3:// URIs",
    )
    publishing.set_defaults(run=run_publish)
    labels = actions.add_parser(
        "labels", help="append delayed true labels (request_id,label) to the prediction log"
    )
    labels.add_argument(
        "file",
        type=Path,
        help="a .csv or .parquet file with request_id (the service's, from each answer; each once, logged, not "
        "yet labelled) and label (0 or 1) columns",
    )
    _stack_argument(labels)
    labels.set_defaults(run=run_labels)


def _register_serve(serve: argparse.ArgumentParser) -> None:
    actions = serve.add_subparsers(dest="action", required=True, metavar="ACTION")
    starting = actions.add_parser(
        "start", help="start Ray Serve with the scoring app on 127.0.0.1, in the background"
    )
    _stack_argument(starting)
    starting.add_argument(
        "--port",
        type=int,
        default=8000,
        help="HTTP port of the app: Serve's proxy, or the first replica with ingress: direct (default: 8000)",
    )
    starting.add_argument(
        "--metrics-port", type=int, default=8080, help="Ray's metrics export port (default: 8080)"
    )
    starting.add_argument("--model-version", help="report this model version instead of the artifact's")
    starting.add_argument(
        "--enable-faults", action="store_true", help="expose POST /admin/faults (alert tests)"
    )
    starting.add_argument(
        "--timeout", type=float, default=180.0, help="seconds to wait for readiness (default: 180)"
    )
    _run_dir_argument(starting)
    starting.set_defaults(run=run_start)
    stopping = actions.add_parser("stop", help="stop the local scoring service by its PID, flushing its log")
    stopping.add_argument("--timeout", type=float, default=90.0, help="seconds before SIGKILL (default: 90)")
    _run_dir_argument(stopping)
    stopping.set_defaults(run=run_stop)
    status = actions.add_parser("status", help="say whether the local scoring service runs and answers")
    _run_dir_argument(status)
    status.set_defaults(run=run_status)
    config = actions.add_parser(
        "config", help="print the stack's Serve config (a RayService's serveConfigV2)"
    )
    _stack_argument(config)
    config.set_defaults(run=run_config)


def _run_dir_argument(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--run-dir",
        type=Path,
        default=DEFAULT_RUN_DIR,
        help=f"state, logs and Ray's temp dir, under the project (default: {DEFAULT_RUN_DIR})",
    )


def _stack(args: argparse.Namespace) -> Stack:
    return load_stack(args.project_dir, args.stack)


def run_train(args: argparse.Namespace) -> int:
    from serving.training import Costs, train, write_artifact

    model = _stack(args).settings.model
    out = (
        resolve_location(args.out, args.project_dir)
        if args.out
        else local_location(model.artifact_uri, args.project_dir)
    )
    trained = train(
        args.version or model.version, Costs(model.cost_false_negative, model.cost_false_positive)
    )
    write_artifact(trained, out)
    meta, threshold = trained.metadata, trained.threshold
    print(
        f"trained {meta.version}: AUC {meta.reference_auc:.3f}, θ* {meta.threshold:.3f} "
        f"(cost {meta.reference_business_cost:.3f}/application, {threshold.rejection_rate:.1%} rejected "
        f"on held-out data)"
    )
    print(f"wrote {out}")
    return 0


def run_publish(args: argparse.Namespace) -> int:
    from serving.artifact import publish_artifact

    settings = _stack(args).settings
    model = settings.model
    source = (
        resolve_location(args.source, args.project_dir)
        if args.source
        else local_location(model.artifact_uri, args.project_dir)
    )
    destination = resolve_location(model.artifact_uri, args.project_dir)
    if source.rstrip("/") == destination.rstrip("/"):
        raise UserError(f"{source} is vigie:model.artifactUri itself; name the trained folder with --from")
    options = _storage_options(destination, settings.platform.object_storage, args.secrets_dir)
    record = publish_artifact(source, destination, model.version, options)
    print(f"published {record.version} to {destination} (sha256 {record.sha256})")
    return 0


def _storage_options(uri: str, storage: ObjectStorage | None, secrets_dir: Path | None) -> dict[str, object]:
    """s3fs's options from the stack's object-storage settings, the credentials read from `secrets_dir`."""
    if not uri.startswith("s3://") or storage is None:
        return {}
    if secrets_dir is None:
        raise UserError(
            f"{uri} is on s3: give --secrets-dir, holding the files {', '.join(storage.secret_keys())} "
            "(vigie:platform.objectStorage)"
        )
    key, secret = (_secret(secrets_dir, name) for name in storage.secret_keys())
    client = {"endpoint_url": str(storage.endpoint_url).rstrip("/") if storage.endpoint_url else None,
              "region_name": storage.region}  # fmt: skip
    return {"key": key, "secret": secret, "client_kwargs": {k: v for k, v in client.items() if v}}


def _secret(secrets_dir: Path, key: str) -> str:
    path = secrets_dir / key
    try:
        return path.read_text().strip()
    except OSError:
        raise UserError(
            f"--secrets-dir {secrets_dir}: no readable file {key} (a secret key vigie:platform.objectStorage names)"
        ) from None


def run_labels(args: argparse.Namespace) -> int:
    from serving.delayed_labels import ingest_labels

    log_uri = local_location(_stack(args).settings.serving.prediction_log.uri, args.project_dir)
    ingested = ingest_labels(args.file, log_uri)
    print(f"{ingested.rows} labels of logged predictions written to {ingested.path}")
    return 0


def run_start(args: argparse.Namespace) -> int:
    from infra.local.scoring_service import LocalSpec, start

    spec = LocalSpec(
        project_dir=str(args.project_dir.resolve()),
        stack=args.stack,
        run_dir=str(args.project_dir / args.run_dir),
        port=args.port,
        metrics_port=args.metrics_port,
        model_version=args.model_version,
        faults=args.enable_faults,
        ready_timeout_s=args.timeout,
    )
    state = start(spec)
    print(
        f"scoring service running: pid {state.pid}, {state.url} "
        f"(metrics {state.metrics_url}; log {state.log})"
    )
    return 0


def run_stop(args: argparse.Namespace) -> int:
    from infra.local.scoring_service import stop

    state = stop(args.project_dir / args.run_dir, args.timeout)
    print("no scoring service recorded; nothing to stop" if state is None else f"stopped pid {state.pid}")
    return 0


def run_status(args: argparse.Namespace) -> int:
    from infra.local.process import answers
    from infra.local.scoring_service import alive, read_state

    state = read_state(args.project_dir / args.run_dir)
    if state is None or not alive(state):
        print("not running")
        return 1
    ready = answers(f"{state.url}/readyz")
    print(
        f"pid {state.pid}: {'ready' if ready else 'not ready'} at {state.url} (metrics {state.metrics_url})"
    )
    return 0 if ready else 1


def run_config(args: argparse.Namespace) -> int:
    from serving.serve_config import Placement, serve_config

    stack = _stack(args)
    config = serve_config(stack.settings.serving, stack.settings.model, stack.alerts, Placement())
    print(yaml.safe_dump(config, sort_keys=False), end="")
    return 0

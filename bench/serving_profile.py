"""Where a server's CPU goes: py-spy samples of its Python processes, each stack put in one bucket (proxy
HTTP, handle call, batching, model, logging…), the first rule that matches any frame of the stack winning.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

PY_SPY = Path(sys.executable).with_name("py-spy")

RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("prediction log", ("serving/prediction_log.py",)),
    ("model (encode + LightGBM)", ("lightgbm/", "serving/features.py")),
    ("metrics", ("serving/metrics.py", "ray/util/metrics.py", "metrics_utils.py", "prometheus_client/")),
    ("logging", ("logging/__init__.py", "logging_utils.py", "logging/handlers.py")),
    ("@serve.batch", ("serve/batching.py",)),
    (
        "FastAPI + pydantic (routing, validation, JSON)",
        ("fastapi/", "starlette/", "pydantic", "serving/api.py"),
    ),
    ("HTTP server (uvicorn, httptools)", ("uvicorn/", "httptools", "h11/")),
    (
        "handle call / router",
        (
            "serve/_private/router.py",
            "request_router/",
            "serve/handle.py",
            "replica_result.py",
            "proxy_response_generator.py",
        ),
    ),
    (
        "Serve HTTP/ASGI bridging (proxy.py, http_util.py)",
        ("serve/_private/proxy.py", "proxy_router.py", "http_util.py", "proxy_request_response.py"),
    ),
    ("Serve replica request path", ("serve/_private/replica.py",)),
    (
        "Ray core (task submission, serialization)",
        ("ray/_raylet", "ray/actor.py", "ray/_private/", "cloudpickle"),
    ),
    ("asyncio / event loop", ("asyncio/", "uvloop")),
)


@dataclass(frozen=True)
class Profile:
    process: str
    samples: int
    buckets: dict[str, int]

    def shares(self) -> list[tuple[str, float]]:
        return [(name, n / self.samples) for name, n in sorted(self.buckets.items(), key=lambda kv: -kv[1])]


NATIVE = "native code, no Python frame (Ray core C++, gRPC)"


def bucket(stack: str) -> str:
    leaf = stack.rsplit(";", 1)[-1]
    if not stack.strip() or leaf.startswith("Thread.run (threading.py"):
        return NATIVE
    for name, patterns in RULES:
        if any(p in stack for p in patterns):
            return name
    if "concurrent/futures" in leaf or "threading.py" in leaf:
        return "thread hand-offs (futures, locks)"
    return "other"


def start_recording(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    """py-spy record of `pid` for `seconds`, raw collapsed stacks into `out` (non-blocking: no pauses)."""
    return subprocess.Popen(
        [
            str(PY_SPY),
            "record",
            "--pid",
            str(pid),
            "--duration",
            f"{seconds:.0f}",
            "--rate",
            "200",
            "--format",
            "raw",
            "--nonblocking",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def read_profile(process: str, raw: Path) -> Profile:
    buckets: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack:
            buckets[bucket(stack)] += int(count)
    return Profile(process, sum(buckets.values()), dict(buckets))

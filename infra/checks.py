"""`vigie check`: the real engines judge the generated output (promtool for rules and their tests,
amtool for the Alertmanager configuration and every row of the routing table)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from conventions.errors import UserError
from infra.artifacts import ALERTMANAGER_FILE, LONG_RULE_TESTS_FILE, RULE_TESTS_FILE, RULES_FILE
from rules_src.alertmanager import expected_receivers
from rules_src.stack import Stack

TOOL_PACKAGES = {"promtool": "prometheus", "amtool": "prometheus-alertmanager"}
TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    output: str


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise UserError(f"{name} not found on PATH: install Debian's {TOOL_PACKAGES[name]} package")
    return path


def _run(name: str, args: list[str], cwd: Path) -> CheckResult:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
    return CheckResult(name, done.returncode == 0, (done.stdout + done.stderr).strip())


def check_stack(stack: Stack, folder: Path) -> list[CheckResult]:
    """Every check of one stack's generated folder, in order; all run even when one fails."""
    promtool, amtool = tool("promtool"), tool("amtool")
    results = [
        _run("promtool check rules", [promtool, "check", "rules", RULES_FILE], folder),
        _run(
            "promtool test rules", [promtool, "test", "rules", RULE_TESTS_FILE, LONG_RULE_TESTS_FILE], folder
        ),
        _run("amtool check-config", [amtool, "check-config", ALERTMANAGER_FILE], folder),
    ]
    for labels, receivers in expected_receivers(stack.alerts, stack.settings.alerting.routes):
        args = [amtool, "config", "routes", "test", f"--config.file={ALERTMANAGER_FILE}",
                f"--verify.receivers={','.join(receivers)}", *(f"{k}={v}" for k, v in sorted(labels.items()))]  # fmt: skip
        results.append(_run(f"route {labels['alertname']} → {','.join(receivers)}", args, folder))
    return results

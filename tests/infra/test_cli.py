"""The `vigie` command line as a process: what loading it costs every command."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import PROJECT_DIR

HEAVY = ("lightgbm", "sklearn", "pandas", "scipy", "pyarrow", "evidently", "ray", "matplotlib", "pulumi")
"""Each takes a fraction of a second to a few seconds to import: only the commands that use one load it."""


def test_loading_the_command_line_imports_no_model_data_or_infra_library() -> None:
    probe = f"import sys, infra.cli; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT_DIR, capture_output=True, text=True, check=True, timeout=60
    )
    assert loaded.stdout.split() == []

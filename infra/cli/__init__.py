"""The `vigie` command. Subcommands live in their own modules and register themselves here.

User errors print one line on stderr and exit 2; a failed check exits 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from conventions.errors import UserError
from infra.cli import check, drift, local, render, report
from infra.cli import serving as serving_cli

EXIT_USER_ERROR = 2


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="vigie", description="Monitoring-as-code for the credit-scoring platform."
    )
    top.add_argument("--project-dir", type=Path, default=Path.cwd(),
                     help="the Vigie project (holding Pulumi.<stack>.yaml); default: the current directory")  # fmt: skip
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (render, check, serving_cli, drift, local, report):
        module.register(commands)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130

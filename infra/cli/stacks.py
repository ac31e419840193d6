"""Choosing stacks on the command line: `--stack NAME` (repeatable) or `--all`."""

from __future__ import annotations

import argparse
from pathlib import Path

from infra.settings import stack_names
from rules_src.stack import Stack, load_stack


def add_stack_arguments(command: argparse.ArgumentParser) -> None:
    group = command.add_mutually_exclusive_group(required=True)
    group.add_argument("--stack", action="append", metavar="NAME", help="a stack (repeatable)")
    group.add_argument("--all", action="store_true", help="every Pulumi.<stack>.yaml of the project")


def selected_stacks(args: argparse.Namespace) -> list[Stack]:
    """Load and validate every selected stack before anything else happens."""
    project: Path = args.project_dir
    names = stack_names(project) if args.all else list(dict.fromkeys(args.stack))
    return [load_stack(project, name) for name in names]

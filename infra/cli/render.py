"""`vigie render`: write generated/<stack>/, or with --check, fail with a diff when it is stale."""

from __future__ import annotations

import argparse
import sys

from infra.cli.stacks import add_stack_arguments, selected_stacks
from infra.render import render_all, stale_diff, write


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser("render", help="render generated/<stack>/ from the stack settings")
    add_stack_arguments(command)
    command.add_argument("--check", action="store_true", help="write nothing; exit 1 with a diff if stale")
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    rendered = render_all(selected_stacks(args))
    if args.check:
        diff = stale_diff(args.project_dir, rendered)
        if diff:
            sys.stdout.write(diff)
            print("generated/ is stale: run `vigie render --all` and commit the result", file=sys.stderr)
            return 1
        print(f"generated/ is fresh for {', '.join(rendered)}")
        return 0
    changed = write(args.project_dir, rendered)
    for path in changed:
        print(f"wrote {path.relative_to(args.project_dir)}")
    print(f"rendered {', '.join(rendered)}: {len(changed)} file(s) changed")
    return 0

"""`vigie check`: run promtool and amtool over generated/<stack>/."""

from __future__ import annotations

import argparse

from conventions.errors import UserError
from infra.checks import check_stack
from infra.cli.stacks import add_stack_arguments, selected_stacks
from infra.render import stack_dir


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser(
        "check", help="check generated rules, rule tests and routing with promtool/amtool"
    )
    add_stack_arguments(command)
    command.add_argument("-v", "--verbose", action="store_true", help="print each check's output")
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    failed = 0
    for stack in selected_stacks(args):
        folder = stack_dir(args.project_dir, stack.name)
        if not folder.is_dir():
            raise UserError(f"{folder}: not rendered yet; run `vigie render --stack {stack.name}`")
        results = check_stack(stack, folder)
        for result in results:
            print(f"{stack.name}: {'ok  ' if result.ok else 'FAIL'} {result.name}")
            if args.verbose or not result.ok:
                print("    " + result.output.replace("\n", "\n    "))
        failed += sum(not r.ok for r in results)
    return 1 if failed else 0

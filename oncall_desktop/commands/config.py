"""`config validate | apply | dump`: configuration as code (SPEC §6)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from oncall_desktop import configfile
from oncall_desktop.commands import CliError, Context
from oncall_desktop.domain import Configuration
from oncall_desktop.validation import Problem, has_errors


def register(subparsers: Any) -> None:
    config = subparsers.add_parser("config", help="validate, apply or dump the YAML configuration")
    actions = config.add_subparsers(dest="action", metavar="ACTION", required=True)
    validate = actions.add_parser("validate", help="check a file; one line per problem")
    validate.add_argument("file")
    validate.set_defaults(func=_validate)
    apply = actions.add_parser("apply", help="replace the stored configuration with a file's, all or nothing")
    apply.add_argument("file")
    apply.set_defaults(func=_apply)
    dump = actions.add_parser("dump", help="print the stored configuration as YAML")
    dump.set_defaults(func=_dump)


def _checked(path: str) -> Configuration:
    config, problems = configfile.load_file(path)
    if config is None and len(problems) == 1 and _unreadable(problems[0]):
        problem = problems[0]
        if problem.path == configfile.FILE_PATH:
            raise CliError(problem.reason)
        raise CliError(f"{path}: {problem.path}: {problem.reason}")
    _report(problems)
    if config is None or has_errors(problems):
        errors = sum(p.level == "error" for p in problems)
        raise CliError(f"{path}: {errors} error{'s' if errors != 1 else ''}; nothing stored")
    return config


def _unreadable(problem: Problem) -> bool:
    """A missing, unreadable or malformed file, as opposed to a finding about its contents."""
    return problem.path == configfile.FILE_PATH or problem.path.startswith("line ")


def _report(problems: list[Problem]) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)


def _summary(config: Configuration) -> str:
    custom = sum(not r.is_default for r in config.rules)
    return (
        f"{len(config.people)} people, {len(config.teams)} teams, {custom} rules + default, "
        f"{len(config.overrides)} overrides, {len(config.integrations)} integrations"
    )


def _validate(args: argparse.Namespace, _context: Context) -> int:
    config = _checked(args.file)
    print(f"{args.file}: valid ({_summary(config)})")
    return 0


def _apply(args: argparse.Namespace, context: Context) -> int:
    config = _checked(args.file)
    context.store.replace_configuration(config)
    print(f"applied {args.file}: {_summary(config)}")
    return 0


def _dump(_args: argparse.Namespace, context: Context) -> int:
    sys.stdout.write(configfile.dump(context.configuration()))
    return 0

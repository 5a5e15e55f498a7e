"""`oncall-desktop`: the window without a subcommand, the core's commands with one (SPEC §5).

Each group of subcommands lives in a module of `oncall_desktop.commands` exposing
`register(subparsers)`; a handler gets the parsed arguments and a `Context` and returns the exit
status. Bad input raises `CliError`, which becomes one line on standard error and exit status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from oncall_desktop.commands import CliError, Context
from oncall_desktop.store import StoreError

COMMAND_MODULES = (
    "oncall_desktop.commands.config",
    "oncall_desktop.commands.schedule",
    "oncall_desktop.commands.ical",
    "oncall_desktop.commands.station",
    "oncall_desktop.commands.secrets",
)

PROG = "oncall-desktop"


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="On-call schedule planning and paging. Without a command, opens the window.",
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help="SQLAlchemy database URL (default: $ONCALL_DESKTOP_DB, else SQLite in the user data dir)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error already printed as one line
        return exit_.code if isinstance(exit_.code, int) else 2
    context = Context(args.db)
    try:
        if args.command is None:
            return _open_window(context)
        status: int = args.func(args, context)
        return status
    except CliError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    except StoreError as error:
        # The store refused (a constraint, a lock, a lost connection): one line, nothing half-done.
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"{PROG}: error: {reason}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `oncall-desktop integrations --json | head`: the reader stopped reading; so do we, quietly
        # (pointing stdout at /dev/null keeps Python's exit flush from complaining again).
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    finally:
        context.close()


def _open_window(context: Context) -> int:
    store = context.store  # an unusable database is a one-line error before Qt is even loaded
    # The GUI is the one edge that needs Qt; the CLI's own commands never load it.
    from oncall_desktop.views.app import run

    status: int = run(store)
    return status


if __name__ == "__main__":
    sys.exit(main())

"""`oncall-desktop`: the window without a subcommand, the core's commands with one (SPEC §5).

Each group of subcommands lives in a module of `oncall_desktop.commands` exposing
`register(subparsers)`; a handler gets the parsed arguments and a `Context` and returns the exit
status. Bad input raises `CliError`, which becomes one line on standard error and exit status 2.
Opening the window imports none of the command modules (they bring iCal, Twilio, aiohttp): a
command line with nothing but the global options is recognised before the full parser is built.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Mapping, Sequence
from typing import NoReturn

from oncall_desktop import __version__
from oncall_desktop.commands import CliError, Context
from oncall_desktop.store import StoreError

COMMAND_MODULES = (
    "oncall_desktop.commands.config",
    "oncall_desktop.commands.schedule",
    "oncall_desktop.commands.ical",
    "oncall_desktop.commands.station",
    "oncall_desktop.commands.secrets",
    "oncall_desktop.commands.migrate",
    "oncall_desktop.commands.planning",
)

PROG = "oncall-desktop"

NO_DISPLAY = (
    "the window needs a desktop session (neither DISPLAY nor WAYLAND_DISPLAY is set); "
    f"`{PROG} serve` runs the paging station headless"
)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _global_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        help="SQLAlchemy database URL (default: $ONCALL_DESKTOP_DB, else SQLite in the user data dir)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log what the app does on standard error"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="On-call schedule planning and paging. Without a command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    _global_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def _window_arguments(argv: Sequence[str]) -> argparse.Namespace | None:
    """The global options when they are all there is (the window opens), else None."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    _global_options(parser)
    try:
        args, rest = parser.parse_known_args(argv)
    except SystemExit:  # e.g. --db without its URL: the full parser says what is wrong
        return None
    if rest:
        return None
    args.command = None
    return args


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = _window_arguments(arguments)
    if args is None:
        try:
            args = build_parser().parse_args(arguments)
        except SystemExit as exit_:  # --help, --version, or a usage error already printed as one line
            return exit_.code if isinstance(exit_.code, int) else 2
    if args.verbose:
        import logging

        logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
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
    if not has_display():
        raise CliError(NO_DISPLAY)
    store = context.store  # an unusable database is a one-line error before Qt is even loaded
    # The GUI is the one edge that needs Qt; the CLI's own commands never load it.
    from oncall_desktop.views.app import run

    status: int = run(store)
    return status


def has_display(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether Qt has somewhere to show the window: an X or Wayland display, or a platform that
    needs none (`QT_QPA_PLATFORM=offscreen`, vnc, eglfs, …). A display that is set but cannot be
    reached is caught later, when Qt tries it (`views.app`)."""
    platforms = [p.split(":")[0].strip() for p in environ.get("QT_QPA_PLATFORM", "").split(";")]
    if any(p and p != "xcb" and not p.startswith("wayland") for p in platforms):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


if __name__ == "__main__":
    sys.exit(main())

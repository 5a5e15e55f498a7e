"""`secrets set NAME` / `secrets delete NAME`: the OS keyring's two secrets (SPEC §5, §7).

The value is read from standard input (without echo on a terminal), never from the command line,
where it would land in the shell history and the process list.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from oncall_desktop import secrets
from oncall_desktop.commands import CliError, Context


def register(subparsers: Any) -> None:
    group = subparsers.add_parser("secrets", help="store or delete a secret in the OS keyring")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    names = ", ".join(secrets.SECRET_NAMES)
    store = actions.add_parser("set", help="store a secret, read from standard input")
    store.add_argument("name", metavar="NAME", help=f"one of {names}")
    store.set_defaults(func=_set)
    delete = actions.add_parser("delete", help="delete a secret")
    delete.add_argument("name", metavar="NAME", help=f"one of {names}")
    delete.set_defaults(func=_delete)


def _name(text: str) -> str:
    if text not in secrets.SECRET_NAMES:
        raise CliError(f"NAME: {text!r} is not one of {', '.join(secrets.SECRET_NAMES)}")
    return text


def _read_value(name: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(f"{name}: ")
    return sys.stdin.readline().rstrip("\r\n")


def _set(args: argparse.Namespace, _context: Context) -> int:
    name = _name(args.name)
    value = _read_value(name)
    if not value:
        raise CliError(f"{name}: no value on standard input")
    try:
        secrets.set_secret(name, value)
    except secrets.SecretsError as error:
        raise CliError(str(error)) from None
    print(f"{name} stored in the OS keyring ({secrets.backend_name()})")
    return 0


def _delete(args: argparse.Namespace, _context: Context) -> int:
    name = _name(args.name)
    try:
        removed = secrets.delete_secret(name)
    except secrets.SecretsError as error:
        raise CliError(str(error)) from None
    print(f"{name} deleted from the OS keyring" if removed else f"{name} was not set")
    return 0

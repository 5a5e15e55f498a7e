"""`secrets set NAME` / `secrets delete NAME`: the OS keyring's secrets (SPEC §5, §7, §13).

The value is read from standard input (without echo on a terminal), never from the command line,
where it would land in the shell history and the process list. A person's chat URLs
(`chat.<person>`) are every line of standard input, or on a terminal one line of URLs separated by
spaces.
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
    names = secrets.NAMES_HELP
    store = actions.add_parser("set", help="store a secret, read from standard input")
    store.add_argument("name", metavar="NAME", help=f"one of {names}")
    store.set_defaults(func=_set)
    delete = actions.add_parser("delete", help="delete a secret")
    delete.add_argument("name", metavar="NAME", help=f"one of {names}")
    delete.set_defaults(func=_delete)


def _name(text: str) -> str:
    if not secrets.is_secret_name(text):
        raise CliError(f"NAME: {text!r} is not one of {secrets.NAMES_HELP}")
    return text


def _read_value(name: str) -> str:
    chat = name.startswith(secrets.CHAT_PREFIX)
    if sys.stdin.isatty():
        value = getpass.getpass(f"{name}: ")
    else:
        value = sys.stdin.read() if chat else sys.stdin.readline().rstrip("\r\n")
    return "\n".join(secrets.chat_urls(value)) if chat else value


def _set(args: argparse.Namespace, _context: Context) -> int:
    name = _name(args.name)
    value = _read_value(name)
    if not value:
        raise CliError(f"{name}: no value on standard input")
    try:
        secrets.set_secret(name, value)
    except secrets.SecretsError as error:
        raise CliError(str(error)) from None
    count = len(secrets.chat_urls(value))
    what = (
        f"{name} ({count} URL{'s' if count != 1 else ''})" if name.startswith(secrets.CHAT_PREFIX) else name
    )
    print(f"{what} stored in the OS keyring ({secrets.backend_name()})")
    return 0


def _delete(args: argparse.Namespace, _context: Context) -> int:
    name = _name(args.name)
    try:
        removed = secrets.delete_secret(name)
    except secrets.SecretsError as error:
        raise CliError(str(error)) from None
    print(f"{name} deleted from the OS keyring" if removed else f"{name} was not set")
    return 0

"""`migrate grafana-oncall|opsgenie|pagerduty` (SPEC §11): a source's configuration as a §6 file,
with the report of everything that was not carried over. Nothing in the store changes."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oncall_desktop.commands import CliError, Context, instant, print_json
from oncall_desktop.migration.common import SOURCE_NAMES, SOURCES, Migration
from oncall_desktop.migration.http import MigrationError, Source
from oncall_desktop.migration.sources import api_source, config_file, directory_source, migrate, read_token
from oncall_desktop.migration.verify import Verification, verify


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "migrate",
        help="write a config file from Grafana OnCall, Opsgenie or PagerDuty (stores nothing)",
        description="Read a source's REST API (or saved answers) and write a config file to check with "
        "`config validate` and load with `config apply`. Everything not carried over is listed.",
    )
    parser.add_argument("source", choices=SOURCES)
    parser.add_argument("--api-url", metavar="URL", help="the API's base URL, without its version segment")
    parser.add_argument("--token-file", metavar="FILE", help="a file holding the API token (read once)")
    parser.add_argument("--from-dir", metavar="DIR", help="saved JSON answers instead of the API")
    parser.add_argument("-o", "--output", metavar="FILE", required=True, help="the config file to write")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--verify",
        action="store_true",
        help="compare four weeks of schedule with the source's own (exit status 1 on a difference)",
    )
    parser.add_argument(
        "--verify-from", metavar="ISO", help="first day compared by --verify (default: today)"
    )
    parser.set_defaults(func=_migrate)


def _source(args: argparse.Namespace) -> Source:
    if args.from_dir:
        if args.api_url or args.token_file:
            raise CliError("--from-dir: reads saved answers; give it without --api-url and --token-file")
        return directory_source(args.from_dir)
    if not args.api_url or not args.token_file:
        raise CliError("give --api-url and --token-file, or --from-dir")
    return api_source(args.source, args.api_url, read_token(args.token_file))


def _migrate(args: argparse.Namespace, _context: Context) -> int:
    now = datetime.now(UTC)
    start = instant(args.verify_from, "--verify-from") if args.verify_from else now
    try:
        source = _source(args)
        migration = migrate(args.source, source, now)
        text, written = config_file(migration)
        # What is compared is the file as it will be applied, so nothing lost in writing it hides.
        applied = replace(migration, config=written)
        checked: Verification | None = verify(source, applied, start) if args.verify else None
    except MigrationError as error:
        raise CliError(f"{error}; nothing written") from None
    _write(args.output, text)
    report = migration.summary()
    if args.json:
        if checked is not None:
            report["verify"] = {
                "start": checked.start.isoformat().replace("+00:00", "Z"),
                "end": checked.end.isoformat().replace("+00:00", "Z"),
                "shifts": checked.shifts,
                "differences": [d.describe(args.source) for d in checked.differences],
            }
        print_json(report)
    else:
        _print_report(args, migration, checked)
    return 1 if checked is not None and checked.differences else 0


def _write(path: str, text: str) -> None:
    target = Path(path)
    try:
        handle, temporary = tempfile.mkstemp(prefix=".migrate-", dir=target.parent or Path("."))
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, target)
    except OSError as error:
        raise CliError(f"-o: cannot write {path} ({error})") from None


def _print_report(args: argparse.Namespace, migration: Migration, checked: Verification | None) -> None:
    report = migration.summary()
    name = SOURCE_NAMES[args.source]
    print(
        f"wrote {args.output} from {name}: {report['people']} people, {report['teams']} teams, "
        f"{report['rules']} rules + default, {report['overrides']} overrides, "
        f"{report['integrations']} integrations"
    )
    if migration.skipped:
        print(f"not carried over ({len(migration.skipped)}):")
        for item in migration.skipped:
            print(f"  {item.kind} {item.id}: {item.reason}")
    if checked is not None:
        for line in checked.summary(args.source):
            print(line)
    print(f"next: oncall-desktop config validate {args.output} && oncall-desktop config apply {args.output}")
    sys.stdout.flush()

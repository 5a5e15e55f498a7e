"""`export-ics` and `import-ics`: shifts to and from iCalendar (SPEC §5, issue 7)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oncall_desktop import ical
from oncall_desktop.commands import CliError, Context, instant, print_json
from oncall_desktop.store import StoreError
from oncall_desktop.timeutil import format_instant


def register(subparsers: Any) -> None:
    export = subparsers.add_parser(
        "export-ics",
        help="write the final schedule as an iCalendar file",
        description=(
            "Write every final-schedule interval overlapping the span as a VEVENT with its real "
            "(unclipped) start and end, in the rule's time zone. Without --person or --rule: everyone. "
            "Default span: 14 days back to 180 days ahead."
        ),
    )
    export.add_argument("--person", metavar="ID", help="only this person's shifts (in all their rules)")
    export.add_argument("--rule", metavar="ID", help="only this rule's shifts")
    export.add_argument("--start", metavar="ISO", help="span start, with an offset or Z")
    export.add_argument("--end", metavar="ISO", help="span end, with an offset or Z")
    export.add_argument(
        "-o", "--output", metavar="FILE", required=True, help="the file to write ('-': stdout)"
    )
    export.set_defaults(func=_export)

    imp = subparsers.add_parser(
        "import-ics",
        help="import a calendar's events as overrides on a rule",
        description=(
            "Import the events of an iCalendar file as overrides on a rule, all in one transaction. "
            "Recurrences (RRULE, EXDATE, RECURRENCE-ID), all-day events (whole days in the rule's "
            "zone), Google's X-WR-TIMEZONE and Outlook's Windows zone names are understood. People "
            "are matched by ATTENDEE email, else by an email or full name in SUMMARY. Without a span "
            "every event counts, past ones too, and an endless recurrence is expanded up to two "
            "years after the latest DTSTART in the file; with a span, events overlapping it count, "
            "clipped to it. Events equal to an existing override are not added again."
        ),
    )
    imp.add_argument("file")
    imp.add_argument("--rule", metavar="ID", required=True, help="the rule the overrides are for")
    imp.add_argument("--start", metavar="ISO", help="span start, with an offset or Z")
    imp.add_argument("--end", metavar="ISO", help="span end, with an offset or Z")
    imp.add_argument("--dry-run", action="store_true", help="print what would be imported; store nothing")
    imp.add_argument("--json", action="store_true", help="print JSON")
    imp.set_defaults(func=_import)


def _span(args: argparse.Namespace) -> tuple[datetime, datetime] | None:
    if (args.start is None) != (args.end is None):
        raise CliError("give both --start and --end, or neither")
    if args.start is None:
        return None
    start, end = instant(args.start, "--start"), instant(args.end, "--end")
    if end <= start:
        raise CliError("--end must be after --start")
    return start, end


def _export(args: argparse.Namespace, context: Context) -> int:
    now = datetime.now(UTC)
    start, end = _span(args) or ical.default_span(now)
    config = context.configuration()
    try:
        data = ical.export_calendar(config, start, end, person=args.person, rule=args.rule, now=now)
    except ValueError as error:
        raise CliError(str(error)) from None
    if args.output == "-":
        sys.stdout.buffer.write(data)
        return 0
    try:
        Path(args.output).write_bytes(data)
    except OSError as error:
        raise CliError(f"cannot write {args.output}: {error.strerror or error}") from None
    count = data.count(b"BEGIN:VEVENT")
    print(f"wrote {count} shift{'s' if count != 1 else ''} to {args.output}", file=sys.stderr)
    return 0


def _import(args: argparse.Namespace, context: Context) -> int:
    span = _span(args)
    try:
        data = Path(args.file).read_bytes()
    except OSError as error:
        raise CliError(f"cannot read {args.file}: {error.strerror or error}") from None
    config = context.configuration()
    if config.rule(args.rule) is None:
        raise CliError(f"--rule: unknown rule {args.rule!r}")
    try:
        preview = ical.preview_import(data, config, args.rule, *(span or (None, None)))
    except ical.IcalError as error:
        raise CliError(f"{args.file}: {error}") from None
    if not args.dry_run and preview.overrides:
        try:
            context.store.replace_configuration(ical.with_import(context.configuration(), preview))
        except StoreError as error:
            raise CliError(f"nothing imported: {error}") from None
    if args.json:
        print_json(_json(preview, stored=not args.dry_run))
    else:
        _print(preview, stored=not args.dry_run)
    return 0


def _print(preview: ical.ImportPreview, *, stored: bool) -> None:
    present = set(preview.already_present)
    for event in preview.matched:
        note = "  (already present)" if event in present else ""
        print(
            f"matched    {event.person}  {format_instant(event.start)}  {format_instant(event.end)}"
            f"  by {event.matched_by}{note}"
        )
    for event in preview.unmatched:
        print(
            f"unmatched  {event.summary or '(no summary)'}  {format_instant(event.start)}  ({event.reason})"
        )
    for first, second in preview.conflicts:
        print(f"conflict   {_describe(first)}  overlaps  {_describe(second)}")
    added = len(preview.overrides)
    verb = "added" if stored else "would add"
    print(
        f"{verb} {added} override{'s' if added != 1 else ''} to rule {preview.rule}; "
        f"{len(preview.unmatched)} unmatched, {len(preview.conflicts)} conflicts",
        file=sys.stderr,
    )


def _describe(item: ical.ImportedEvent | Any) -> str:
    kind = "imported" if isinstance(item, ical.ImportedEvent) else "existing override"
    return f"{kind} {item.person} {format_instant(item.start)}–{format_instant(item.end)}"


def _json(preview: ical.ImportPreview, *, stored: bool) -> dict[str, Any]:
    present = set(preview.already_present)

    def event(e: ical.ImportedEvent) -> dict[str, Any]:
        return {
            "summary": e.summary,
            "person": e.person,
            "start": format_instant(e.start),
            "end": format_instant(e.end),
            "matched_by": e.matched_by,
            "already_present": e in present,
        }

    def item(x: ical.ImportedEvent | Any) -> dict[str, Any]:
        return {
            "source": "imported" if isinstance(x, ical.ImportedEvent) else "existing",
            "person": x.person,
            "start": format_instant(x.start),
            "end": format_instant(x.end),
        }

    return {
        "rule": preview.rule,
        "stored": stored,
        "added": len(preview.overrides),
        "matched": [event(e) for e in preview.matched],
        "unmatched": [
            {
                "summary": e.summary,
                "start": format_instant(e.start),
                "end": format_instant(e.end),
                "reason": e.reason,
            }
            for e in preview.unmatched
        ],
        "conflicts": [[item(a), item(b)] for a, b in preview.conflicts],
    }

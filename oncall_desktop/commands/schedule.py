"""`who`, `schedule` and `simulate`: questions about who is on call and who gets paged (SPEC §5)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from oncall_desktop import commands as cli
from oncall_desktop.commands import CliError, Context
from oncall_desktop.domain import Configuration, PlannedNotification, Status, StatusChange
from oncall_desktop.planner import DEFAULT_HORIZON, IncidentFacts, plan
from oncall_desktop.routing import route
from oncall_desktop.schedule import Schedules
from oncall_desktop.sms_limit import SmsMessage, SmsRateLimit, apply_limit
from oncall_desktop.timeutil import format_instant


def register(subparsers: Any) -> None:
    who = subparsers.add_parser("who", help="who is on call at an instant, by rule")
    who.add_argument("--at", metavar="ISO", help="instant with offset or Z (default: now)")
    who.add_argument("--tag", action="append", metavar="K:V", help="route an incident with this tag")
    who.add_argument("--severity", metavar="P", help="route an incident of this severity (P0–P4)")
    who.add_argument("--tz", metavar="ZONE", help="show times in this IANA zone")
    who.add_argument("--json", action="store_true")
    who.set_defaults(func=_who)

    schedule = subparsers.add_parser("schedule", help="final schedule intervals and gaps over a span")
    schedule.add_argument("--start", metavar="ISO", required=True)
    schedule.add_argument("--end", metavar="ISO", required=True)
    schedule.add_argument("--rule", metavar="ID")
    schedule.add_argument("--person", metavar="ID")
    schedule.add_argument("--tz", metavar="ZONE", help="show times in this IANA zone")
    schedule.add_argument("--json", action="store_true")
    schedule.set_defaults(func=_schedule)

    simulate = subparsers.add_parser("simulate", help="the notifications an incident would cause")
    simulate.add_argument("--at", metavar="ISO", required=True, help="when the incident starts")
    simulate.add_argument("--severity", metavar="P", required=True)
    simulate.add_argument("--tag", action="append", metavar="K:V")
    simulate.add_argument("--ack-at", metavar="ISO", help="acknowledged (status working) at")
    simulate.add_argument("--resolve-at", metavar="ISO", help="resolved at")
    simulate.add_argument("--until", metavar="ISO", help="list notifications before this (default +24 h)")
    simulate.add_argument("--tz", metavar="ZONE", help="show times in this IANA zone")
    simulate.add_argument("--json", action="store_true")
    simulate.set_defaults(func=_simulate)


def _names(config: Configuration, person_ids: tuple[str, ...] | list[str]) -> str:
    return ", ".join(config.display_name(pid) for pid in person_ids) or "(nobody)"


def _who(args: argparse.Namespace, context: Context) -> int:
    at = cli.instant(args.at, "--at") if args.at else datetime.now(UTC).replace(microsecond=0)
    tz = cli.zone(args.tz)
    tags = cli.tags(args.tag)
    severity = cli.severity(args.severity) if args.severity else None
    config = context.configuration()
    schedules = Schedules(config)
    if tags or severity is not None:
        rules = {rule_id: schedules.rules[rule_id].on_call(at) for rule_id in route(schedules, tags, at)}
    else:
        rules = schedules.on_call(at)
    if args.json:
        cli.print_json(
            {"at": format_instant(at), "rules": [{"rule": r, "people": list(p)} for r, p in rules.items()]}
        )
        return 0
    print(f"On call at {cli.show_time(at, tz)}:")
    if not rules:
        print("  no rule is on duty")
    for rule_id, people in rules.items():
        rule = config.rule(rule_id)
        name = rule.name if rule else rule_id
        print(f"  {name} [{rule_id}]: {_names(config, people)}")
    return 0


def _known(config: Configuration, rule_id: str | None, person_id: str | None) -> None:
    if rule_id is not None and config.rule(rule_id) is None:
        known = ", ".join(r.id for r in config.rules)
        raise CliError(f"--rule: no rule {rule_id!r} (known: {known})")
    if person_id is not None and config.person(person_id) is None:
        raise CliError(f"--person: no person {person_id!r}")


MAX_SCHEDULE_SPAN = timedelta(days=5 * 366)
MAX_SIMULATION = timedelta(days=7)


def _schedule(args: argparse.Namespace, context: Context) -> int:
    start = cli.instant(args.start, "--start")
    end = cli.instant(args.end, "--end")
    if end <= start:
        raise CliError("--end: must be after --start")
    if end - start > MAX_SCHEDULE_SPAN:
        raise CliError("--end: at most 5 years after --start (ask for the span in parts)")
    tz = cli.zone(args.tz)
    config = context.configuration()
    _known(config, args.rule, args.person)
    result = Schedules(config).final_schedule(
        start, end, rules=[args.rule] if args.rule else None, person=args.person
    )
    if args.json:
        cli.print_json(
            {
                "intervals": [
                    {
                        "rule": i.rule,
                        "person": i.person,
                        "start": format_instant(i.start),
                        "end": format_instant(i.end),
                        "layer": i.layer,
                    }
                    for i in result.intervals
                ],
                "gaps": [
                    {"rule": g.rule, "start": format_instant(g.start), "end": format_instant(g.end)}
                    for g in result.gaps
                ],
            }
        )
        return 0
    for interval in result.intervals:
        mark = "  (override)" if interval.override else f"  [{interval.layer}]" if interval.layer else ""
        print(
            f"{interval.rule:<16} {_span(interval.start, interval.end, tz)}  "
            f"{_names(config, [interval.person])}{mark}"
        )
    for gap in result.gaps:
        print(f"{gap.rule:<16} {_span(gap.start, gap.end, tz)}  GAP: on duty, nobody on call")
    if not result.intervals and not result.gaps:
        print("nothing scheduled in this span")
    return 0


def _span(start: datetime, end: datetime, tz: tzinfo | None) -> str:
    return f"{cli.show_time(start, tz)} → {cli.show_time(end, tz)}"


def _simulate(args: argparse.Namespace, context: Context) -> int:
    at = cli.instant(args.at, "--at")
    severity = cli.severity(args.severity)
    tags = cli.tags(args.tag)
    tz = cli.zone(args.tz)
    until = cli.instant(args.until, "--until") if args.until else at + DEFAULT_HORIZON
    if until <= at:
        raise CliError("--until: must be after --at")
    if until - at > MAX_SIMULATION:
        raise CliError("--until: at most 7 days after --at")
    changes = []
    if args.ack_at:
        ack = cli.instant(args.ack_at, "--ack-at")
        if ack < at:
            raise CliError("--ack-at: must not be before --at")
        changes.append(StatusChange(ack, Status.WORKING))
    if args.resolve_at:
        resolved = cli.instant(args.resolve_at, "--resolve-at")
        if resolved < at:
            raise CliError("--resolve-at: must not be before --at")
        changes.append(StatusChange(resolved, Status.RESOLVED))
    config = context.configuration()
    limit = SmsRateLimit()
    delivered = apply_limit(plan(Schedules(config), IncidentFacts(at, severity, tags), changes, until), limit)
    if args.json:
        cli.print_json({"notifications": [_delivered_json(item) for item in delivered]})
        return 0
    if not delivered:
        print("nobody would be notified")
    for item in delivered:
        note = item.pages[-1] if isinstance(item, SmsMessage) else item
        elapsed = (item.at - at) // timedelta(minutes=1)
        extra = " (handover)" if note.handover else f" (repeat {note.repeat})" if note.repeat else ""
        if isinstance(item, SmsMessage):
            held = ", ".join(f"T+{(p.at - at) // timedelta(minutes=1)}" for p in item.pages)
            extra += f" — one SMS for the pages of {held} ({limit.describe()})"
        print(
            f"T+{elapsed:<4} {cli.show_time(item.at, tz)}  {_names(config, [note.person]):<20} "
            f"{note.channel.value:<5} level {note.level} [{note.rule}]{extra}"
        )
    return 0


def _delivered_json(item: PlannedNotification | SmsMessage) -> dict[str, Any]:
    """A notification as `simulate --json` lists it; an SMS that waited for the per-number limit
    is listed when it goes out, with `"bundled"`: the instants of the pages it carries."""
    note = item.pages[-1] if isinstance(item, SmsMessage) else item
    entry: dict[str, Any] = {
        "at": format_instant(item.at),
        "person": note.person,
        "channel": note.channel.value,
        "level": note.level,
        "rule": note.rule,
        "repeat": note.repeat,
        "handover": note.handover,
    }
    if isinstance(item, SmsMessage):
        entry["bundled"] = [format_instant(p.at) for p in item.pages]
    return entry

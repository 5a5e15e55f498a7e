"""`conflicts` and `report`: planning around people (SPEC §12)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from typing import Any

from oncall_desktop import commands as cli
from oncall_desktop.commands import CliError, Context
from oncall_desktop.domain import Configuration
from oncall_desktop.fairness import fairness_report, people_csv, report_json, rules_csv
from oncall_desktop.planning import conflicts, covers
from oncall_desktop.schedule import Schedules
from oncall_desktop.timeutil import format_instant

MAX_SPAN = timedelta(days=2 * 366)


def register(subparsers: Any) -> None:
    found = subparsers.add_parser(
        "conflicts", help="shifts during their person's time off or public holidays, with covers"
    )
    _span_options(found)
    found.add_argument("--json", action="store_true")
    found.set_defaults(func=_conflicts)

    report = subparsers.add_parser("report", help="the fairness report: on-call load and incident times")
    _span_options(report)
    output = report.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true")
    output.add_argument(
        "--csv", action="store_true", help="the people table, a blank line, then the rules table"
    )
    report.set_defaults(func=_report)


def _span_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--start", metavar="ISO", required=True)
    parser.add_argument("--end", metavar="ISO", required=True)
    parser.add_argument("--rule", metavar="ID", action="append", help="only this rule (repeatable)")
    parser.add_argument("--tz", metavar="ZONE", help="show times in this IANA zone")


def _span(args: argparse.Namespace) -> tuple[datetime, datetime]:
    start = cli.instant(args.start, "--start")
    end = cli.instant(args.end, "--end")
    if end <= start:
        raise CliError("--end: must be after --start")
    if end - start > MAX_SPAN:
        raise CliError("--end: at most 2 years after --start (ask for the span in parts)")
    return start, end


def _rules(config: Configuration, rules: list[str] | None) -> list[str] | None:
    for rule_id in rules or ():
        if config.rule(rule_id) is None:
            known = ", ".join(r.id for r in config.rules)
            raise CliError(f"--rule: no rule {rule_id!r} (known: {known})")
    return list(dict.fromkeys(rules)) if rules else None


def _conflicts(args: argparse.Namespace, context: Context) -> int:
    start, end = _span(args)
    tz = cli.zone(args.tz)
    config = context.configuration()
    rules = _rules(config, args.rule)
    schedules = Schedules(config)
    found = conflicts(config, start, end, rules=rules, schedules=schedules)
    if args.json:
        cli.print_json(
            {
                "conflicts": [
                    {
                        "rule": c.rule,
                        "person": c.person,
                        "start": format_instant(c.start),
                        "end": format_instant(c.end),
                        "reason": c.reason,
                    }
                    for c in found
                ]
            }
        )
        return 0
    if not found:
        print("no conflicts: nobody is on call during their time off or public holidays")
    for conflict in found:
        why = conflict.reason + (f" ({conflict.note})" if conflict.note else "")
        offers = covers(config, conflict, start, end, schedules=schedules)
        cover = ", ".join(f"{config.display_name(c.person)} ({c.hours:g} h)" for c in offers[:3])
        print(
            f"{conflict.rule:<16} {cli.show_time(conflict.start, tz)} → {cli.show_time(conflict.end, tz)}  "
            f"{config.display_name(conflict.person)}: {why}; covers: {cover or 'nobody is free'}"
        )
    return 0


def _report(args: argparse.Namespace, context: Context) -> int:
    start, end = _span(args)
    config = context.configuration()
    rules = _rules(config, args.rule)
    store = context.store
    report = fairness_report(
        config,
        start,
        end,
        store.planning.report_incidents(start, end),
        store.planning.pages_sent(start, end),
        rules=rules,
    )
    if args.json:
        cli.print_json(report_json(report))
        return 0
    if args.csv:
        sys.stdout.write(people_csv(report) + "\n" + rules_csv(report))
        return 0
    print(
        f"{'person':<20} {'hours':>8} {'night':>8} {'weekend':>8} {'holiday':>8} {'shifts':>6} "
        f"{'pages':>6} {'acks':>5} {'median ack':>10}"
    )
    for p in report.people:
        median = "" if p.median_ack_seconds is None else f"{p.median_ack_seconds / 60:.1f} min"
        print(
            f"{config.display_name(p.person)[:20]:<20} {p.hours:>8.1f} {p.night_hours:>8.1f} "
            f"{p.weekend_hours:>8.1f} {p.holiday_hours:>8.1f} {p.shifts:>6} {p.pages:>6} {p.acks:>5} "
            f"{median:>10}"
        )
    print()
    print(f"{'rule':<20} {'incidents':>9} {'MTTA':>10} {'MTTR':>10}")
    for r in report.rules:
        print(
            f"{r.rule[:20]:<20} {r.incidents:>9} "
            f"{_minutes(r.mtta_seconds):>10} {_minutes(r.mttr_seconds):>10}"
        )
    return 0


def _minutes(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 60:.1f} min"

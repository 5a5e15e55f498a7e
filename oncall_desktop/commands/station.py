"""`serve`, `incidents`, `ack`, `resolve`, `integrations`: the paging station (SPEC §4, §5)."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from oncall_desktop import timeutil
from oncall_desktop.commands import CliError, Context, print_json
from oncall_desktop.domain import Status
from oncall_desktop.engine import incidents
from oncall_desktop.engine.clock import Clock, ScaledClock, SystemClock
from oncall_desktop.engine.incidents import Incident
from oncall_desktop.engine.paging import build_notifiers
from oncall_desktop.engine.station import run_station
from oncall_desktop.integrations import integration_url
from oncall_desktop.station_address import parse_listen
from oncall_desktop.store import StoreError

CLOCK_HELP = (
    "for testing only: run the station on virtual time START,SPEED,ANCHOR — equal to the instant START "
    "(ISO with offset) at Unix time ANCHOR and running SPEED times faster than real time"
)


def register(subparsers: Any) -> None:
    serve = subparsers.add_parser("serve", help="run the headless paging station: intake + escalation engine")
    serve.add_argument(
        "--listen", metavar="HOST:PORT", help="where intake listens (default: settings, 127.0.0.1:8080)"
    )
    serve.add_argument("--clock", metavar="START,SPEED,ANCHOR", help=CLOCK_HELP)
    serve.set_defaults(func=_serve)

    listing = subparsers.add_parser("incidents", help="list incidents, newest first")
    listing.add_argument(
        "--status", choices=[s.value for s in Status], help="only incidents with this status"
    )
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=_incidents)

    ack = subparsers.add_parser("ack", help="acknowledge an incident (it becomes 'working')")
    ack.add_argument("id", help="incident id")
    ack.add_argument("--by", metavar="PERSON", help="the person acknowledging (a person id)")
    ack.set_defaults(func=_ack)

    resolve = subparsers.add_parser("resolve", help="resolve an incident; escalation stops")
    resolve.add_argument("id", help="incident id")
    resolve.set_defaults(func=_resolve)

    listing = subparsers.add_parser("integrations", help="each integration's id, kind and intake URL")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=_integrations)


def _serve(args: argparse.Namespace, context: Context) -> int:
    clock: Clock = SystemClock()
    if args.clock:
        try:
            clock = ScaledClock.parse(args.clock)
        except ValueError as error:
            raise CliError(f"--clock: {error}") from None
    listen = args.listen or context.configuration().settings.station.listen
    try:
        parse_listen(listen)
    except ValueError as error:
        raise CliError(f"--listen: {error}") from None
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")
    for noisy in ("aiohttp", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return run_station(context.store, listen, clock, build_notifiers(context.store, clock))
    except OSError as error:
        raise CliError(f"cannot listen on {listen}: {error.strerror or error}") from None


def _incident_json(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "title": incident.title,
        "severity": incident.severity.value,
        "status": incident.status.value,
        "tags": list(incident.tags),
        "integration": incident.integration,
        "created_at": timeutil.format_instant(incident.created_at),
        "acknowledged_by": incident.acknowledged_by,
        "resolved_at": timeutil.format_instant(incident.resolved_at) if incident.resolved_at else None,
    }


def _incidents(args: argparse.Namespace, context: Context) -> int:
    found = incidents.list_incidents(context.store, Status(args.status) if args.status else None)
    if args.json:
        print_json({"incidents": [_incident_json(i) for i in found]})
        return 0
    if not found:
        print("no incidents")
    for incident in found:
        acked = f" (ack: {incident.acknowledged_by})" if incident.acknowledged_by else ""
        print(
            f"#{incident.id}  {incident.severity.value}  {incident.status.value:<8}  "
            f"{timeutil.format_instant(incident.created_at)}  {incident.title}{acked}"
        )
    return 0


def _incident_id(text: str) -> int:
    value = text.strip().lstrip("#")
    if not value.isdigit():
        raise CliError(f"ID: {text!r} is not an incident number")
    return int(value)


def _ack(args: argparse.Namespace, context: Context) -> int:
    incident_id = _incident_id(args.id)
    if args.by is not None and context.configuration().person(args.by) is None:
        raise CliError(f"--by: no person {args.by!r}")
    try:
        incident = incidents.acknowledge(context.store, incident_id, SystemClock().now(), args.by)
    except StoreError as error:
        raise CliError(str(error)) from None
    print(f"incident #{incident.id} acknowledged{f' by {args.by}' if args.by else ''}: {incident.title}")
    return 0


def _resolve(args: argparse.Namespace, context: Context) -> int:
    incident_id = _incident_id(args.id)
    try:
        incident = incidents.resolve(context.store, incident_id, SystemClock().now())
    except StoreError as error:
        raise CliError(str(error)) from None
    print(f"incident #{incident.id} resolved: {incident.title}")
    return 0


def _integrations(args: argparse.Namespace, context: Context) -> int:
    settings = context.configuration().settings
    found = context.store.integrations()
    if args.json:
        listed = [{"id": i.id, "kind": i.kind, "url": integration_url(settings, i)} for i in found]
        print_json({"integrations": listed})
        return 0
    if not found:
        print("no integrations")
    for integration in found:
        print(f"{integration.id}  {integration.kind}  {integration_url(settings, integration)}")
    return 0

"""`serve`, `status`, `incidents`, `incident`, `ack`, `resolve`, `integrations`: the paging station
(SPEC §4, §5, §10)."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from oncall_desktop import timeutil
from oncall_desktop.commands import CliError, Context, print_json
from oncall_desktop.domain import Status
from oncall_desktop.engine.clock import Clock, ScaledClock, SystemClock
from oncall_desktop.engine.engine import real_now
from oncall_desktop.engine.paging import build_notifiers
from oncall_desktop.engine.station import run_station
from oncall_desktop.engine.status import station_status
from oncall_desktop.incident import Incident, TimelineEvent
from oncall_desktop.integrations import integration_url
from oncall_desktop.station_address import parse_listen
from oncall_desktop.store import Store, StoreError

CLOCK_HELP = (
    "for drills and tests: run the engine on virtual time START,SPEED[,ANCHOR] — equal to the instant "
    "START (ISO with offset) at Unix time ANCHOR (default: now) and running SPEED times faster than "
    "real time; leases stay in real seconds"
)


def register(subparsers: Any) -> None:
    serve = subparsers.add_parser("serve", help="run the headless paging station: intake + escalation engine")
    serve.add_argument(
        "--listen", metavar="HOST:PORT", help="where intake listens (default: settings, 127.0.0.1:8080)"
    )
    serve.add_argument("--clock", metavar="START,SPEED,ANCHOR", help=CLOCK_HELP)
    serve.set_defaults(func=_serve)

    status = subparsers.add_parser("status", help="which station runs the engine, the stations, the outbox")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(func=_status)

    listing = subparsers.add_parser("incidents", help="list incidents, newest first")
    listing.add_argument(
        "--status", choices=[s.value for s in Status], help="only incidents with this status"
    )
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=_incidents)

    one = subparsers.add_parser("incident", help="one incident with its timeline")
    one.add_argument("id", help="incident id")
    one.add_argument("--json", action="store_true", help="print JSON")
    one.set_defaults(func=_incident)

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
    # The twilio client logs every request (about a dozen INFO lines each): only its warnings.
    for noisy in ("aiohttp", "alembic", "twilio"):
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
        "paged": incident.paged,
    }


def _event_json(event: TimelineEvent) -> dict[str, Any]:
    return {
        "at": timeutil.format_instant(event.at),
        "kind": event.kind,
        "text": event.message,
        "person": event.person,
        "channel": event.channel.value if event.channel is not None else None,
        "level": event.level,
    }


def _incidents(args: argparse.Namespace, context: Context) -> int:
    found = context.store.incidents.newest(Status(args.status) if args.status else None)
    if args.json:
        print_json({"incidents": [_incident_json(i) for i in found]})
        return 0
    if not found:
        print("no incidents")
    for incident in found:
        acked = f" (ack: {incident.acknowledged_by})" if incident.acknowledged_by else ""
        unpaged = "  UNPAGED" if incident.paged is False else ""
        if incident.held_until is not None and incident.status == Status.OPEN and incident.paged is None:
            until = timeutil.format_instant(incident.held_until)
            unpaged = f"  IN MAINTENANCE ({incident.maintenance}) until {until}"
        print(
            f"#{incident.id}  {incident.severity.value}  {incident.status.value:<8}  "
            f"{timeutil.format_instant(incident.created_at)}  {incident.title}{acked}{unpaged}"
        )
    return 0


def _incident(args: argparse.Namespace, context: Context) -> int:
    incident_id = _incident_id(args.id)
    try:
        incident = context.store.incidents.get(incident_id)
        events = context.store.incidents.timeline(incident_id)
    except StoreError as error:
        raise CliError(str(error)) from None
    if args.json:
        print_json({**_incident_json(incident), "timeline": [_event_json(e) for e in events]})
        return 0
    paged = {True: "paged", False: "UNPAGED: nobody is notified", None: "not planned yet"}[incident.paged]
    print(f"#{incident.id}  {incident.severity.value}  {incident.status.value}  {incident.title}  ({paged})")
    if incident.tags:
        print(f"  tags: {', '.join(incident.tags)}")
    for event in events:
        print(f"  {timeutil.format_instant(event.at)}  {event.kind:<12} {event.message}")
    return 0


def _status(args: argparse.Namespace, context: Context) -> int:
    document = station_status(context.store, None, station_clock(context.store).now(), real_now())
    if args.json:
        print_json(document)
        return 0
    engine = document["engine"]
    if engine["holder"] is None:
        print(f"engine: not running (lease epoch {engine['epoch']})")
    else:
        print(
            f"engine: {engine['holder']} (epoch {engine['epoch']}, lease until {engine['lease_expires']}, "
            f"last tick {engine['last_tick']})"
        )
    print(
        "healthy: "
        + ("yes, an engine ticked within 10 s" if document["healthy"] else "NO: no engine ticked within 10 s")
    )
    stations = document["stations"]
    print(f"stations seen in the last 60 s: {len(stations)}")
    for station in stations:
        mark = "  (engine)" if station["engine"] else ""
        print(f"  {station['id']}  last seen {station['last_seen']}{mark}")
    outbox = document["outbox"]
    print(f"outbox: {outbox['due']} due, {outbox['unknown']} being sent or to reconcile")
    for problem in document["problems"]:
        print(f"problem: incident #{problem['incident']}: {problem['reason']}")
    return 0


def station_clock(store: Store) -> Clock:
    """The clock of the station running the engine: a drill's virtual clock (`serve --clock`), so
    `ack` and `resolve` happen at the station's time; else the system clock."""
    lease = store.lease.state()
    station = store.lease.station(lease.holder) if lease is not None and lease.holder else None
    if station is not None and station.clock:
        try:
            return ScaledClock.parse(station.clock)
        except ValueError:
            pass
    return SystemClock()


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
        incident = context.store.incidents.acknowledge(
            incident_id, station_clock(context.store).now(), args.by
        )
    except StoreError as error:
        raise CliError(str(error)) from None
    print(f"incident #{incident.id} acknowledged{f' by {args.by}' if args.by else ''}: {incident.title}")
    return 0


def _resolve(args: argparse.Namespace, context: Context) -> int:
    incident_id = _incident_id(args.id)
    try:
        incident = context.store.incidents.resolve(incident_id, station_clock(context.store).now())
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

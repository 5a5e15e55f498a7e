"""Local fakes of Grafana OnCall's, Opsgenie's and PagerDuty's REST APIs for the migration tests.

Each answers with JSON in the shapes of the source's published API reference (field names as the
docs spell them), over several pages, and refuses a wrong token as the real one does. Their "final
schedule" answers are computed here hour by hour from the rotations as the source documents them —
independently of `oncall_desktop.schedule` — so a migration that changes who is on call is caught.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
VERIFY_FROM = datetime(2027, 3, 15, tzinfo=UTC)  # four weeks across Europe's spring-forward (28 March)
VERIFY_TO = VERIFY_FROM + timedelta(weeks=4)
TOKENS = {
    "grafana-oncall": "glsa_oncall_0123456789abcdef",
    "opsgenie": "og-key-0123456789",
    "pagerduty": "pd-key-0123456789",
}
AUTH = {
    "grafana-oncall": TOKENS["grafana-oncall"],
    "opsgenie": f"GenieKey {TOKENS['opsgenie']}",
    "pagerduty": f"Token token={TOKENS['pagerduty']}",
}
PREFIX = {"grafana-oncall": "/api/v1/", "opsgenie": "/v2/", "pagerduty": "/"}
AM_TOKEN = "AbCdEfGhIjKlMnOpQrStUvWxY"
WEBHOOK_TOKEN = "ZyXwVuTsRqPoNmLkJiHgFeDcB"

Shift = tuple[str, datetime, datetime]


def hours() -> Iterator[datetime]:
    t = VERIFY_FROM
    while t < VERIFY_TO:
        yield t
        t += timedelta(hours=1)


def runs(on_call: Callable[[datetime], set[str]]) -> list[Shift]:
    """Hour-by-hour answers as maximal (user, start, end) shifts."""
    open_: dict[str, datetime] = {}
    shifts: list[Shift] = []
    for t in [*hours(), VERIFY_TO]:
        now = on_call(t) if t < VERIFY_TO else set()
        for user in [u for u in open_ if u not in now]:
            shifts.append((user, open_.pop(user), t))
        for user in now - set(open_):
            open_[user] = t
    return sorted(shifts, key=lambda s: (s[1], s[0]))


def z(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _wall_periods(local: datetime, anchor: datetime, period: timedelta) -> int:
    """Whole periods of wall-clock time from `anchor` to `local` (both naive wall-clock)."""
    return (local - anchor) // period


# -- Grafana OnCall --------------------------------------------------------------------------


def grafana_on_call(t: datetime) -> set[str]:
    if datetime(2027, 3, 30, 10, tzinfo=UTC) <= t < datetime(2027, 3, 30, 12, tzinfo=UTC):
        return {"U4DAVE"}  # the override
    local = t.astimezone(BERLIN).replace(tzinfo=None)
    if local.weekday() in (2, 5) and 18 <= local.hour < 22:
        # A daily rotation over Wednesdays and Saturdays: only those days pass the turn on.
        days = (local.date() - date(2027, 1, 6)).days
        turns = sum(1 for n in range(days) if (date(2027, 1, 6) + timedelta(n)).weekday() in (2, 5))
        return {("U1ALICE", "U2BOB", "U3CAROL")[turns % 3]}
    if local.weekday() < 5 and 9 <= local.hour < 17:
        return {("U1ALICE", "U2BOB")[(local.date() - date(2027, 1, 4)).days // 7 % 2]}
    return {("U3CAROL", "U4DAVE")[(t.date() - date(2027, 1, 4)).days % 2]}


def grafana_answers(base: str) -> tuple[dict[str, Any], set[str]]:
    users = [
        {
            "id": "U1ALICE",
            "email": "alice@example.com",
            "slack": None,
            "username": "alice",
            "role": "admin",
            "is_phone_number_verified": False,
            "timezone": "Europe/Berlin",
            "teams": ["TSRE"],
        },
        {
            "id": "U2BOB",
            "email": "bob@example.com",
            "slack": None,
            "username": "bob",
            "role": "user",
            "is_phone_number_verified": False,
            "timezone": "Europe/Berlin",
            "teams": ["TSRE"],
        },
        {
            "id": "U3CAROL",
            "email": "carol@example.com",
            "slack": None,
            "username": "carol",
            "role": "user",
            "is_phone_number_verified": False,
            "timezone": "America/New_York",
            "teams": [],
        },
        {
            "id": "U4DAVE",
            "email": "dave@example.com",
            "slack": None,
            "username": "dave",
            "role": "user",
            "is_phone_number_verified": True,
            "timezone": None,
            "teams": ["TSRE"],
        },
    ]
    schedules = [
        {
            "id": "SPAY",
            "name": "Payments",
            "type": "web",
            "team_id": "TSRE",
            "time_zone": "Europe/Berlin",
            "on_call_now": ["U1ALICE"],
            "shifts": ["OWEEKDAY", "OBACKSTOP", "OEVENING", "OOVERRIDE"],
            "ical_url_overrides": None,
            "slack": {"channel_id": None, "user_group_id": None},
        },
        {
            "id": "SICAL",
            "name": "Imported calendar",
            "type": "ical",
            "team_id": None,
            "ical_url_primary": "https://example.com/meow_calendar.ics",
            "ical_url_overrides": None,
            "on_call_now": [],
            "slack": {"channel_id": None, "user_group_id": None},
        },
    ]
    shifts = [
        {
            "id": "OWEEKDAY",
            "name": "Weekday days",
            "type": "rolling_users",
            "team_id": "TSRE",
            "time_zone": "Europe/Berlin",
            "level": 1,
            "start": "2027-01-04T09:00:00",
            "duration": 28800,
            "frequency": "weekly",
            "interval": 1,
            "week_start": "MO",
            "by_day": ["MO", "TU", "WE", "TH", "FR"],
            "by_month": None,
            "by_monthday": None,
            "until": None,
            "rolling_users": [["U1ALICE"], ["U2BOB"]],
            "start_rotation_from_user_index": 0,
        },
        {
            "id": "OBACKSTOP",
            "name": "Backstop",
            "type": "rolling_users",
            "team_id": "TSRE",
            "time_zone": None,
            "level": 0,
            "start": "2027-01-04T00:00:00",
            "duration": 86400,
            "frequency": "daily",
            "interval": 1,
            "week_start": "SU",
            "by_day": None,
            "by_month": None,
            "by_monthday": None,
            "until": None,
            "rolling_users": [["U3CAROL"], ["U4DAVE"]],
            "start_rotation_from_user_index": 0,
        },
        {
            "id": "OEVENING",
            "name": "Evening checks",
            "type": "rolling_users",
            "team_id": "TSRE",
            "time_zone": "Europe/Berlin",
            "level": 2,
            "start": "2027-01-06T18:00:00",
            "rotation_start": "2027-01-06T18:00:00",
            "duration": 14400,
            "frequency": "daily",
            "interval": 1,
            "by_day": ["WE", "SA"],
            "by_month": None,
            "by_monthday": None,
            "until": None,
            "rolling_users": [["U1ALICE"], ["U2BOB"], ["U3CAROL"]],
            "start_rotation_from_user_index": 0,
        },
        {
            "id": "OOVERRIDE",
            "name": "Dentist swap",
            "type": "override",
            "team_id": None,
            "time_zone": "Europe/Berlin",
            "start": "2027-03-30T12:00:00",
            "duration": 7200,
            "users": ["U4DAVE"],
        },
    ]
    chains = [{"id": "FPAY", "name": "Payments chain", "team_id": "TSRE"}]
    policies = [
        {
            "id": "E1",
            "escalation_chain_id": "FPAY",
            "position": 0,
            "type": "notify_on_call_from_schedule",
            "important": False,
            "notify_on_call_from_schedule": "SPAY",
        },
        {"id": "E2", "escalation_chain_id": "FPAY", "position": 1, "type": "wait", "duration": 300},
        {
            "id": "E3",
            "escalation_chain_id": "FPAY",
            "position": 2,
            "type": "notify_persons",
            "important": True,
            "persons_to_notify": ["U1ALICE"],
        },
        {"id": "E4", "escalation_chain_id": "FPAY", "position": 3, "type": "wait", "duration": 900},
        {
            "id": "E5",
            "escalation_chain_id": "FPAY",
            "position": 4,
            "type": "notify_team_members",
            "important": False,
            "team_to_notify": "TSRE",
        },
        {
            "id": "E6",
            "escalation_chain_id": "FPAY",
            "position": 5,
            "type": "notify_user_group",
            "important": False,
            "group_to_notify": "GSLACK",
        },
    ]
    host = "https://oncall.example.com"
    integrations = [
        {
            "id": "CAM",
            "name": "Prod Alertmanager",
            "description_short": None,
            "link": f"{host}/integrations/v1/alertmanager/{AM_TOKEN}/",
            "inbound_email": None,
            "type": "alertmanager",
            "default_route": {"id": "RDEF", "escalation_chain_id": "FPAY", "slack": {"channel_id": None}},
            "templates": {},
        },
        {
            "id": "CHOOK",
            "name": "Deploy hooks",
            "description_short": None,
            "link": f"{host}/integrations/v1/formatted_webhook/{WEBHOOK_TOKEN}/",
            "inbound_email": None,
            "type": "formatted_webhook",
            "default_route": {"id": "RDEF2", "escalation_chain_id": None},
            "templates": {},
        },
        {
            "id": "CZBX",
            "name": "Zabbix",
            "description_short": None,
            "link": f"{host}/integrations/v1/zabbix/QqQqQqQqQqQqQqQqQqQqQqQqQ/",
            "inbound_email": None,
            "type": "zabbix",
            "default_route": {"id": "RDEF3", "escalation_chain_id": None},
            "templates": {},
        },
    ]
    routes = [
        {
            "id": "RPAY",
            "integration_id": "CAM",
            "escalation_chain_id": "FPAY",
            "routing_type": "regex",
            "routing_regex": '"service": "payments"',
            "position": 0,
            "is_the_last_route": False,
            "slack": {"channel_id": None, "enabled": False},
        },
        {
            "id": "RODD",
            "integration_id": "CHOOK",
            "escalation_chain_id": "FPAY",
            "routing_type": "regex",
            "routing_regex": "^(checkout|cart)-.*$",
            "position": 0,
            "is_the_last_route": False,
            "slack": {"channel_id": None, "enabled": False},
        },
    ]
    final = [
        {
            "user_pk": u,
            "user_email": f"{u[2:].lower()}@example.com",
            "user_username": u[2:].lower(),
            "shift_start": z(s),
            "shift_end": z(e),
        }
        for u, s, e in runs(grafana_on_call)
    ]

    def pages(path: str, results: list[Any], size: int = 2) -> list[Any]:
        chunks = [results[i : i + size] for i in range(0, len(results), size)] or [[]]
        return [
            {
                "count": len(results),
                "next": f"{base}/api/v1/{path}?page={n + 2}" if n + 1 < len(chunks) else None,
                "previous": f"{base}/api/v1/{path}?page={n}" if n else None,
                "results": chunk,
                "current_page_number": n + 1,
                "page_size": size,
                "total_pages": len(chunks),
            }
            for n, chunk in enumerate(chunks)
        ]

    answers: dict[str, Any] = {
        "users": pages("users/", users),
        "teams": pages(
            "teams/", [{"id": "TSRE", "name": "SRE", "email": "sre@example.com", "avatar_url": None}]
        ),
        "schedules": pages("schedules/", schedules, 1),
        "on_call_shifts": pages("on_call_shifts/", shifts),
        "escalation_chains": pages("escalation_chains/", chains),
        "escalation_policies": pages("escalation_policies/", policies, 4),
        "integrations": pages("integrations/", integrations),
        "routes": pages("routes/", routes),
        "schedules/SPAY/final_shifts": pages("schedules/SPAY/final_shifts", final, 40),
    }
    return answers, set(answers)


# -- Opsgenie --------------------------------------------------------------------------------


def opsgenie_on_call(t: datetime) -> set[str]:
    if datetime(2027, 3, 31, 10, tzinfo=UTC) <= t < datetime(2027, 3, 31, 12, tzinfo=UTC):
        return {"u-dave"}
    local = t.astimezone(BERLIN).replace(tzinfo=None)
    found = set()
    day, hour = local.weekday(), local.hour
    if (day == 0 and hour >= 9) or 1 <= day <= 3 or (day == 4 and hour < 17):
        found.add(("u-alice", "u-bob")[_wall_periods(local, datetime(2027, 1, 4, 9), timedelta(days=7)) % 2])
    if hour >= 17 or hour < 9:
        found.add(
            ("u-carol", "u-dave")[_wall_periods(local, datetime(2027, 1, 4, 17), timedelta(days=1)) % 2]
        )
    return found


def opsgenie_answers(base: str) -> tuple[dict[str, Any], set[str]]:
    def user(uid: str, name: str, zone: str) -> dict[str, Any]:
        return {
            "blocked": False,
            "verified": True,
            "id": uid,
            "username": f"{name.lower()}@example.com",
            "fullName": f"{name} Example",
            "role": {"id": "User", "name": "User"},
            "timeZone": zone,
            "locale": "en_US",
            "userAddress": {"country": "", "state": "", "city": "", "line": "", "zipCode": ""},
            "createdAt": "2024-01-01T10:00:00.000Z",
        }

    users = [
        user("u-alice", "Alice", "Europe/Berlin"),
        user("u-bob", "Bob", "Europe/Berlin"),
        user("u-carol", "Carol", "America/New_York"),
        user("u-dave", "Dave", "Europe/London"),
    ]
    contacts = {
        "u-alice": [
            {
                "id": "c1",
                "method": "sms",
                "to": "49-15111111111",
                "status": {"enabled": True},
                "enabled": True,
            },
            {"id": "c2", "method": "email", "to": "alice@example.com", "enabled": True},
        ],
        "u-bob": [{"id": "c3", "method": "voice", "to": "49-15122222222", "enabled": True}],
        "u-carol": [{"id": "c4", "method": "sms", "to": "1-4155550103", "enabled": True}],
        "u-dave": [{"id": "c5", "method": "email", "to": "dave@example.com", "enabled": True}],
    }
    rotations = [
        {
            "id": "r-days",
            "name": "Weekdays",
            "startDate": "2027-01-04T08:00:00Z",
            "endDate": None,
            "type": "weekly",
            "length": 1,
            "participants": [
                {"type": "user", "id": "u-alice", "username": "alice@example.com"},
                {"type": "user", "id": "u-bob", "username": "bob@example.com"},
            ],
            "timeRestriction": {
                "type": "weekday-and-time-of-day",
                "restrictions": [
                    {
                        "startDay": "monday",
                        "startHour": 9,
                        "startMin": 0,
                        "endDay": "friday",
                        "endHour": 17,
                        "endMin": 0,
                    }
                ],
            },
        },
        {
            "id": "r-nights",
            "name": "Nights",
            "startDate": "2027-01-04T16:00:00Z",
            "type": "daily",
            "length": 1,
            "participants": [
                {"type": "user", "id": "u-carol", "username": "carol@example.com"},
                {"type": "user", "id": "u-dave", "username": "dave@example.com"},
            ],
            "timeRestriction": {
                "type": "time-of-day",
                "restriction": {"startHour": 17, "startMin": 0, "endHour": 9, "endMin": 0},
            },
        },
    ]
    schedules = [
        {
            "id": "s-ops",
            "name": "Ops",
            "description": "",
            "timezone": "Europe/Berlin",
            "enabled": True,
            "ownerTeam": {"id": "t-ops", "name": "Ops"},
            "rotations": rotations,
        }
    ]
    overrides = [
        {
            "alias": "dave-covers",
            "user": {"type": "user", "id": "u-dave", "username": "dave@example.com"},
            "startDate": "2027-03-31T10:00:00Z",
            "endDate": "2027-03-31T12:00:00Z",
            "rotations": [],
        },
        {
            "alias": "bob-days-only",
            "user": {"type": "user", "id": "u-bob", "username": "bob@example.com"},
            "startDate": "2027-06-01T08:00:00Z",
            "endDate": "2027-06-02T08:00:00Z",
            "rotations": [{"id": "r-days", "name": "Weekdays"}],
        },
    ]
    escalations = [
        {
            "id": "e-ops",
            "name": "Ops escalation",
            "description": "",
            "ownerTeam": {"id": "t-ops", "name": "Ops"},
            "rules": [
                {
                    "condition": "if-not-acked",
                    "notifyType": "default",
                    "delay": {"timeAmount": 0, "timeUnit": "minutes"},
                    "recipient": {"type": "schedule", "id": "s-ops", "name": "Ops"},
                },
                {
                    "condition": "if-not-acked",
                    "notifyType": "default",
                    "delay": {"timeAmount": 10, "timeUnit": "minutes"},
                    "recipient": {"type": "user", "id": "u-alice", "username": "alice@example.com"},
                },
                {
                    "condition": "if-not-acked",
                    "notifyType": "next",
                    "delay": {"timeAmount": 20, "timeUnit": "minutes"},
                    "recipient": {"type": "schedule", "id": "s-ops", "name": "Ops"},
                },
                {
                    "condition": "if-not-acked",
                    "notifyType": "default",
                    "delay": {"timeAmount": 30, "timeUnit": "minutes"},
                    "recipient": {"type": "team", "id": "t-ops", "name": "Ops"},
                },
            ],
            "repeat": {
                "waitInterval": 10,
                "count": 2,
                "resetRecipientStates": False,
                "closeAlertAfterAll": False,
            },
        }
    ]
    periods = [
        {
            "startDate": z(s),
            "endDate": z(e),
            "type": "default",
            "recipient": {"type": "user", "id": u, "name": u},
        }
        for u, s, e in runs(opsgenie_on_call)
    ]
    timeline = {
        "data": {
            "_parent": {"id": "s-ops", "name": "Ops", "enabled": True},
            "startDate": z(VERIFY_FROM),
            "endDate": z(VERIFY_TO),
            "finalTimeline": {
                "rotations": [{"id": "r-days", "name": "Weekdays", "order": 1.0, "periods": periods}]
            },
        },
        "took": 0.1,
        "requestId": "req-1",
    }

    def pages(path: str, data: list[Any]) -> list[Any]:
        chunks = [data[i : i + 2] for i in range(0, len(data), 2)] or [[]]
        out = []
        for n, chunk in enumerate(chunks):
            paging: dict[str, str] = {"first": f"{base}/v2/{path}?offset=0&limit=2"}
            if n + 1 < len(chunks):
                paging["next"] = f"{base}/v2/{path}?offset={2 * (n + 1)}&limit=2"
            out.append(
                {"totalCount": len(data), "data": chunk, "paging": paging, "took": 0.05, "requestId": f"r{n}"}
            )
        return out

    def one(data: Any) -> dict[str, Any]:
        return {"data": data, "took": 0.01, "requestId": "one"}

    answers: dict[str, Any] = {
        "users": pages("users", users),
        "teams": pages("teams", [{"id": "t-ops", "name": "Ops", "description": "operations"}]),
        "teams/t-ops": one(
            {
                "id": "t-ops",
                "name": "Ops",
                "description": "operations",
                "members": [
                    {"user": {"id": "u-alice", "username": "alice@example.com"}, "role": "admin"},
                    {"user": {"id": "u-bob", "username": "bob@example.com"}, "role": "user"},
                ],
            }
        ),
        "schedules": pages("schedules", schedules),
        "schedules/s-ops/overrides": one(overrides),
        "schedules/s-ops/timeline": timeline,
        "escalations": pages("escalations", escalations),
    }
    for uid, found in contacts.items():
        answers[f"users/{uid}/contacts"] = one(found)
    return answers, {"users", "teams", "schedules", "escalations"}


# -- PagerDuty -------------------------------------------------------------------------------


def pagerduty_on_call(t: datetime) -> set[str]:
    if datetime(2027, 3, 29, 6, tzinfo=UTC) <= t < datetime(2027, 3, 29, 18, tzinfo=UTC):
        return {"PCAROL"}
    local = t.astimezone(BERLIN).replace(tzinfo=None)
    if local.weekday() >= 5:
        return {"PDAVE"}
    return {
        ("PALICE", "PBOB", "PCAROL")[_wall_periods(local, datetime(2027, 1, 4, 9), timedelta(days=7)) % 3]
    }


def pagerduty_answers(base: str) -> tuple[dict[str, Any], set[str]]:
    def ref(kind: str, ident: str) -> dict[str, Any]:
        return {"id": ident, "type": f"{kind}_reference", "summary": ident, "self": f"{base}/{kind}s/{ident}"}

    def user(uid: str, name: str, phone: str | None) -> dict[str, Any]:
        methods: list[dict[str, Any]] = [
            {
                "id": f"{uid}E",
                "type": "email_contact_method",
                "summary": "Default",
                "label": "Default",
                "address": f"{name.lower()}@example.com",
            }
        ]
        if phone:
            methods.append(
                {
                    "id": f"{uid}P",
                    "type": "phone_contact_method",
                    "summary": "Mobile",
                    "label": "Mobile",
                    "address": phone,
                    "country_code": 1,
                }
            )
        return {
            "id": uid,
            "type": "user",
            "name": f"{name} Example",
            "email": f"{name.lower()}@example.com",
            "time_zone": "Europe/Berlin",
            "color": "green",
            "role": "user",
            "contact_methods": methods,
            "summary": f"{name} Example",
            "self": f"{base}/users/{uid}",
        }

    users = [
        user("PALICE", "Alice", "4155550101"),
        user("PBOB", "Bob", "4155550102"),
        user("PCAROL", "Carol", None),
        user("PDAVE", "Dave", "4155550104"),
    ]
    schedule = {
        "id": "PSCHED",
        "type": "schedule",
        "summary": "Primary",
        "name": "Primary",
        "time_zone": "Europe/Berlin",
        "description": "",
        "escalation_policies": [ref("escalation_policy", "PEP")],
        "users": [],
        "schedule_layers": [
            {
                "id": "PLWEEKEND",
                "name": "Weekend",
                "start": "2027-01-01T00:00:00+01:00",
                "end": None,
                "rotation_virtual_start": "2027-01-02T00:00:00+01:00",
                "rotation_turn_length_seconds": 604800,
                "users": [{"user": ref("user", "PDAVE")}],
                "restrictions": [
                    {
                        "type": "weekly_restriction",
                        "start_time_of_day": "00:00:00",
                        "duration_seconds": 172800,
                        "start_day_of_week": 6,
                    }
                ],
            },
            {
                "id": "PLWEEK",
                "name": "Weekly",
                "start": "2027-01-01T00:00:00+01:00",
                "end": None,
                "rotation_virtual_start": "2027-01-04T09:00:00+01:00",
                "rotation_turn_length_seconds": 604800,
                "users": [
                    {"user": ref("user", "PALICE")},
                    {"user": ref("user", "PBOB")},
                    {"user": ref("user", "PCAROL")},
                ],
                "restrictions": [],
            },
        ],
        "final_schedule": {
            "name": "Final Schedule",
            "rendered_coverage_percentage": 100.0,
            "rendered_schedule_entries": [
                {"start": z(s), "end": z(e), "user": ref("user", u)} for u, s, e in runs(pagerduty_on_call)
            ],
        },
    }
    policies = [
        {
            "id": "PEP",
            "type": "escalation_policy",
            "name": "Primary EP",
            "num_loops": 2,
            "on_call_handoff_notifications": "if_has_services",
            "escalation_rules": [
                {"id": "PR1", "escalation_delay_in_minutes": 15, "targets": [ref("schedule", "PSCHED")]},
                {"id": "PR2", "escalation_delay_in_minutes": 30, "targets": [ref("user", "PALICE")]},
            ],
            "services": [ref("service", "PSVC1")],
            "teams": [],
        }
    ]
    services = [
        {
            "id": "PSVC1",
            "type": "service",
            "name": "checkout",
            "status": "active",
            "escalation_policy": ref("escalation_policy", "PEP"),
        },
        {
            "id": "PSVC2",
            "type": "service",
            "name": "search",
            "status": "active",
            "escalation_policy": ref("escalation_policy", "PEP"),
        },
        {
            "id": "PSVC3",
            "type": "service",
            "name": "legacy",
            "status": "disabled",
            "escalation_policy": ref("escalation_policy", "PEP"),
        },
    ]

    def pages(key: str, data: list[Any]) -> list[Any]:
        chunks = [data[i : i + 2] for i in range(0, len(data), 2)] or [[]]
        return [
            {key: chunk, "limit": 2, "offset": 2 * n, "more": n + 1 < len(chunks), "total": None}
            for n, chunk in enumerate(chunks)
        ]

    answers: dict[str, Any] = {
        "users": pages("users", users),
        "teams": pages("teams", [{"id": "PTEAM", "type": "team", "name": "Platform", "summary": "Platform"}]),
        "teams/PTEAM/members": pages(
            "members",
            [
                {"user": ref("user", "PALICE"), "role": "manager"},
                {"user": ref("user", "PDAVE"), "role": "responder"},
            ],
        ),
        "schedules": pages(
            "schedules",
            [{k: v for k, v in schedule.items() if k not in ("schedule_layers", "final_schedule")}],
        ),
        "schedules/PSCHED": {"schedule": schedule},
        "schedules/PSCHED/overrides": pages(
            "overrides",
            [
                {
                    "id": "POV1",
                    "start": "2027-03-29T08:00:00+02:00",
                    "end": "2027-03-29T20:00:00+02:00",
                    "user": ref("user", "PCAROL"),
                }
            ],
        ),
        "escalation_policies": pages("escalation_policies", policies),
        "services": pages("services", services),
    }
    return answers, {
        "users",
        "teams",
        "teams/PTEAM/members",
        "schedules",
        "schedules/PSCHED/overrides",
        "escalation_policies",
        "services",
    }


ANSWERS = {"grafana-oncall": grafana_answers, "opsgenie": opsgenie_answers, "pagerduty": pagerduty_answers}
ON_CALL = {"grafana-oncall": grafana_on_call, "opsgenie": opsgenie_on_call, "pagerduty": pagerduty_on_call}


class FakeSource:
    """One source's API on 127.0.0.1 in a thread. `rate_limit` paths answer 429 once (with
    `Retry-After: 7` unless told otherwise) before answering; `requests` lists every path asked for."""

    def __init__(self, source: str, rate_limit: tuple[str, ...] = (), retry_after: str = "7") -> None:
        self.source = source
        self.retry_after = retry_after
        self.requests: list[str] = []
        self.limited = set(rate_limit)
        self.altered: Callable[[str, Any], Any] | None = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.handle(self)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.answers, self.paginated = ANSWERS[source](self.url)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        self.requests.append(request.path)
        if request.headers.get("Authorization") != AUTH[self.source]:
            self.reply(
                request,
                401,
                {"detail": "Invalid token."}
                if self.source == "grafana-oncall"
                else {"message": "Could not authenticate", "took": 0.0, "requestId": "x"},
            )
            return
        prefix = PREFIX[self.source]
        if not parts.path.startswith(prefix):
            self.reply(request, 404, {"error": "not found"})
            return
        key = parts.path[len(prefix) :].strip("/")
        if key in self.limited:
            self.limited.discard(key)
            self.reply(request, 429, {"message": "Too many requests"}, {"Retry-After": self.retry_after})
            return
        if key not in self.answers:
            self.reply(request, 404, {"error": f"no {key}"})
            return
        body = self.answers[key]
        if key in self.paginated:
            query = parse_qs(parts.query)
            if self.source == "grafana-oncall":
                index = int(query.get("page", ["1"])[0]) - 1
            else:
                index = int(query.get("offset", ["0"])[0]) // 2
            body = body[index]
        if self.altered is not None:
            body = self.altered(key, body)
        self.reply(request, 200, body)

    @staticmethod
    def reply(
        request: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)

    def save(self, root: Path) -> None:
        """The answers as `--from-dir` reads them: one file per path, pages as a list."""
        for key, body in self.answers.items():
            file = root / f"{key}.json"
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(json.dumps(body))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

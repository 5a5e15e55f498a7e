"""Fairness report benchmark (SPEC §12, issue 16): `report` for a year of 50 rules × 20 people and
10,000 incidents. Target: under 1 s on a 2-core machine.

The demo team's kinds of rules (weekly primaries and secondaries, an 8-hour follow-the-sun, a
daily business-hours rotation, a layered database rule) scaled to 50 rules over 20 people in six
zones, each person with a public-holiday calendar; 10,000 incidents spread over the year, tagged
so that they route to all of the rules, nine in ten acknowledged and resolved.

"core" times `fairness_report` alone (schedules, the hours split, routing every incident);
"with the store" adds reading the incidents and the pages sent from a SQLite store, as the
`report` command does.

    .venv/bin/python bench/bench_report.py
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time as clock
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from oncall_desktop.domain import (
    Channel,
    Configuration,
    EscalationLevel,
    Layer,
    MatchConditions,
    OnCallRule,
    Person,
    Rotation,
    Severity,
    TimeOff,
    Window,
)
from oncall_desktop.fairness import IncidentTimes, fairness_report
from oncall_desktop.incident import IncomingAlert, IntakeResult
from oncall_desktop.store import Store

ZONES = (
    ("Europe/Berlin", "DE-BY"),
    ("America/New_York", "US-NY"),
    ("Asia/Tokyo", "JP"),
    ("Australia/Sydney", "AU-NSW"),
    ("Europe/London", "GB-ENG"),
    ("America/Los_Angeles", "US-CA"),
)
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2027, 1, 1, tzinfo=UTC)
INCIDENTS = 10_000
TARGET_S = 1.0
LADDER = (EscalationLevel(channels={"*": (Channel.EMAIL,)}, repeat=5),)


def year_configuration(rules: int = 50, people: int = 20) -> Configuration:
    persons = tuple(
        Person(
            f"p{i:02d}",
            f"Person {i:02d}",
            f"p{i}@example.com",
            timezone=ZONES[i % len(ZONES)][0],
            holidays=ZONES[i % len(ZONES)][1],
        )
        for i in range(people)
    )
    anchor = date(2026, 1, 5)
    built = []
    for r in range(rules):
        team = tuple(persons[(r * 3 + k) % people].id for k in range(6))
        kind = r % 5
        zone = ZONES[r % len(ZONES)][0]
        match = MatchConditions("all", (f"service:s{r:02d}",))
        if kind in (0, 1):  # weekly primary / secondary
            layers = (Layer(personnel=team, rotation=Rotation("weekly", 1, time(9), anchor)),)
            windows: tuple[Window, ...] = ()
        elif kind == 2:  # follow the sun in 8-hour shifts
            layers = (Layer(personnel=team, rotation=Rotation("hours", 8, time(22), anchor)),)
            windows = ()
        elif kind == 3:  # business hours, daily
            layers = (Layer(personnel=team[:3], rotation=Rotation("daily", 1, time(9), anchor)),)
            windows = (Window((0, 1, 2, 3, 4), time(9), time(17)),)
        else:  # layered: two regions' working days and a backstop
            day = (Window((0, 1, 2, 3, 4), time(9), time(17)),)
            layers = (
                Layer("Asia", "Asia/Tokyo", team[:2], Rotation("daily", 1, time(9), anchor), day),
                Layer("Europe", "Europe/London", team[2:4], Rotation("weekly", 1, time(9), anchor), day),
                Layer("Backstop", personnel=(team[5],)),
            )
            windows = ()
        built.append(
            OnCallRule(
                f"rule{r:02d}",
                f"Rule {r:02d}",
                zone,
                windows=windows,
                match=match,
                layers=layers,
                escalation=LADDER,
            )
        )
    built.append(
        OnCallRule("default", "Default", "UTC", layers=(Layer(personnel=("p00",)),), escalation=LADDER)
    )
    time_off = tuple(
        TimeOff(p.id, START + timedelta(days=30 + 17 * i), START + timedelta(days=37 + 17 * i), "holiday")
        for i, p in enumerate(persons)
    )
    return Configuration(people=persons, rules=tuple(built), time_off=time_off)


def year_incidents(rules: int = 50, count: int = INCIDENTS, seed: int = 16) -> list[IncidentTimes]:
    rng = random.Random(seed)
    seconds = int((END - START).total_seconds())
    found = []
    for k in range(count):
        created = START + timedelta(seconds=rng.randrange(seconds))
        acked = created + timedelta(seconds=rng.randrange(30, 1800)) if rng.random() < 0.9 else None
        resolved = acked + timedelta(seconds=rng.randrange(60, 14_400)) if acked else None
        found.append(
            IncidentTimes(
                k + 1,
                (f"service:s{rng.randrange(rules):02d}",),
                created,
                acked,
                f"p{rng.randrange(20):02d}" if acked else None,
                resolved,
            )
        )
    return sorted(found, key=lambda i: i.created_at)


def timed(run: Callable[[], object], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        began = clock.perf_counter()
        run()
        times.append(clock.perf_counter() - began)
    return times


def show(label: str, times: list[float]) -> None:
    verdict = "ok" if statistics.median(times) < TARGET_S else "OVER TARGET"
    print(
        f"{label:<28} median {statistics.median(times) * 1000:7.1f} ms   best {min(times) * 1000:7.1f} ms   "
        f"(target < {TARGET_S * 1000:.0f} ms: {verdict})"
    )


def main() -> None:
    config = year_configuration()
    incidents = year_incidents()
    pages = {p.id: 100 for p in config.people}
    report = fairness_report(config, START, END, incidents, pages)
    print(
        f"{len(config.rules) - 1} rules + default, {len(config.people)} people, {len(incidents)} incidents, "
        f"{sum(p.shifts for p in report.people)} shifts in the year"
    )
    show("core", timed(lambda: fairness_report(config, START, END, incidents, pages), 5))
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(f"sqlite:///{Path(folder) / 'bench.db'}")
        store.replace_configuration(config)
        by_hour: dict[datetime, list[tuple[str, IntakeResult]]] = {}
        for incident in incidents:
            result = IntakeResult(
                f"g{incident.id}",
                f"incident {incident.id}",
                "",
                Severity.P2,
                incident.tags,
                (IncomingAlert(f"f{incident.id}", "firing", {}),),
            )
            by_hour.setdefault(incident.created_at.replace(minute=0, second=0), []).append(("", result))
        for at, items in by_hour.items():
            store.incidents.ingest_batch(items, at)

        def with_store() -> None:
            fairness_report(
                store.load_configuration(),
                START,
                END,
                store.planning.report_incidents(START, END),
                store.planning.pages_sent(START, END),
            )

        show("with the store", timed(with_store, 5))
        store.close()


if __name__ == "__main__":
    main()

"""Core benchmark: a year's final schedule, `who` at one instant, a 24-hour simulation.

50 rules × 20 people (weekly rotations, weekday business-hour windows on half the rules, an
escalation ladder on each) and 500 overrides. Prints the median and best of several runs.
Targets on a 2-core machine: year < 250 ms, who < 1 ms, simulate < 50 ms.

Then the same with 50 rules of 3 layers each (SPEC §8): a weekday daytime layer and a follow-the-sun
layer in zones of their own, and a backstop; every fifth rule combines them `all`. Target: a
year's final schedule < 100 ms.

Last, iCal import (SPEC §9): a file of 1,000 / 4,000 / 16,000 one-off shifts read, matched and
checked for conflicts; the time should grow linearly (ms per event about constant) and stay within
`ical_reading.MAX_READ_SECONDS` for any file.

    .venv/bin/python bench/bench_core.py
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from functools import partial

import machine

from oncall_desktop import ical
from oncall_desktop.domain import (
    Channel,
    Configuration,
    EscalationLevel,
    Layer,
    MatchConditions,
    OnCallRule,
    Override,
    Person,
    Rotation,
    Severity,
    Target,
    Window,
)
from oncall_desktop.planner import IncidentFacts, plan
from oncall_desktop.schedule import Schedules, forget_shared
from oncall_desktop.timeutil import all_zone_names

ZONES = ["Europe/Berlin", "America/Chicago", "Australia/Sydney", "Asia/Tokyo", "America/New_York"]


def build(rules: int = 50, people: int = 20, overrides: int = 500, seed: int = 7) -> Configuration:
    rng = random.Random(seed)
    staff = tuple(
        Person(f"p{i:02}", f"Person {i}", email=f"p{i}@example.com", phone=f"+1415555{i:04}")
        for i in range(people)
    )
    ladder = (
        EscalationLevel(channels={"*": (Channel.SMS, Channel.EMAIL)}, repeat=5),
        EscalationLevel(wait=10, add=(Target("p00", (Channel.VOICE,)),), repeat=5),
        EscalationLevel(wait=30, add=(Target("p01", (Channel.SMS,)),), repeat=10),
    )
    weekdays = (Window((0, 1, 2, 3, 4), clock(9), clock(18)),)
    rule_list = []
    for r in range(rules):
        tz = ZONES[r % len(ZONES)] if r % 3 else rng.choice(all_zone_names())
        rule_list.append(
            OnCallRule(
                id=f"r{r:02}",
                name=f"Rule {r}",
                timezone=tz,
                effective_start=datetime(2025, 1, 1),
                windows=weekdays if r % 2 else (),
                match=MatchConditions("all", (f"service:svc-{r:02}",)),
                layers=(
                    Layer(
                        personnel=tuple(p.id for p in rng.sample(staff, 6)),
                        rotation=Rotation("weekly", 1, clock(9), date(2025, 1, 6)),
                    ),
                ),
                escalation=ladder,
            )
        )
    rule_list.append(
        OnCallRule(
            "default",
            "Default",
            "UTC",
            layers=(Layer(personnel=("p00",)),),
            escalation=ladder[:1],
        )
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    override_list = []
    for i in range(overrides):
        begins = start + timedelta(hours=rng.randrange(0, 365 * 24))
        override_list.append(
            Override(
                f"r{rng.randrange(rules):02}",
                rng.choice(staff).id,
                begins,
                begins + timedelta(hours=12),
                id=i,
            )
        )
    return Configuration(people=staff, rules=tuple(rule_list), overrides=tuple(override_list))


def layered(config: Configuration, seed: int = 11) -> Configuration:
    """`config` with each custom rule's one layer turned into three, each in a zone of its own."""
    rng = random.Random(seed)
    weekdays = (Window((0, 1, 2, 3, 4), clock(9), clock(17)),)
    rules = []
    for index, rule in enumerate(config.rules):
        if rule.is_default:
            rules.append(rule)
            continue
        staff = rule.layers[0].personnel
        layers = (
            Layer(
                "Day",
                ZONES[index % len(ZONES)],
                staff[:3],
                rotation=Rotation("weekly", 1, clock(9), date(2025, 1, 6)),
                windows=weekdays,
            ),
            Layer(
                "Follow the sun",
                ZONES[(index + 2) % len(ZONES)],
                staff[3:5],
                rotation=Rotation("daily", 1, clock(9), date(2025, 1, 6)),
                windows=weekdays,
            ),
            Layer(
                "Backstop",
                personnel=(rng.choice(staff),),
                rotation=Rotation("monthly", 1, clock(10), date(2025, 1, 31)),
            ),
        )
        rules.append(replace(rule, layers=layers, combine="all" if index % 5 == 4 else "first"))
    return replace(config, rules=tuple(rules))


def measure(label: str, fn: Callable[[], object], runs: int, target_ms: float) -> None:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    median = statistics.median(times)
    verdict = "ok" if median < target_ms else "OVER TARGET"
    figures = f"median {median:8.3f} ms   best {min(times):8.3f} ms   target < {target_ms} ms"
    print(f"{label:<48} {figures}  {verdict}")


def main() -> None:
    config = build()
    print(machine.describe())
    schedules = Schedules(config)
    year_start, year_end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    result = schedules.final_schedule(year_start, year_end)
    print(
        f"config: {len(config.rules)} rules, {len(config.people)} people, {len(config.overrides)} overrides"
    )
    print(f"final schedule for 2026: {len(result.intervals)} intervals, {len(result.gaps)} gaps")
    measure(
        "final schedule, one year, 50 rules", lambda: schedules.final_schedule(year_start, year_end), 7, 250
    )
    measure(
        "  … compiled and worked out for the first time",
        partial(first_time, config, year_start, year_end),
        7,
        250,
    )
    at = datetime(2026, 6, 15, 14, 30, tzinfo=UTC)
    measure("who at one instant, 50 rules", lambda: schedules.on_call(at), 200, 1)
    later = datetime(2036, 6, 16, 14, 30, tzinfo=UTC)
    measure("who at one instant in 2036, 50 rules", lambda: schedules.on_call(later), 200, 1)
    began = datetime(2026, 6, 15, 8, 55, tzinfo=UTC)
    facts = IncidentFacts(began, Severity.P1, ("service:svc-07", "env:prod"))
    notes = plan(schedules, facts)
    print(f"simulation of a 24-hour incident routed by its tag: {len(notes)} notifications")
    measure("simulate a 24-hour incident", lambda: plan(schedules, facts), 15, 50)
    storm = IncidentFacts(began, Severity.P1, tuple(f"service:svc-{r:02}" for r in range(50)))
    storm_notes = plan(schedules, storm)
    print(f"stress: an incident matching all 50 rules: {len(storm_notes)} notifications")
    measure("simulate 24 h, routed to all 50 rules (stress)", lambda: plan(schedules, storm), 5, 1000)

    layered_config = layered(config)
    layered_schedules = Schedules(layered_config)
    result = layered_schedules.final_schedule(year_start, year_end)
    print(f"50 rules × 3 layers, 2026: {len(result.intervals)} intervals, {len(result.gaps)} gaps")
    measure(
        "final schedule, one year, 50 rules × 3 layers",
        lambda: layered_schedules.final_schedule(year_start, year_end),
        7,
        100,
    )
    measure(
        "  … compiled and worked out for the first time",
        partial(first_time, layered_config, year_start, year_end),
        7,
        100,
    )
    measure("who at one instant, 50 rules × 3 layers", lambda: layered_schedules.on_call(at), 200, 1)
    layered_notes = plan(layered_schedules, facts)
    print(f"simulation of a 24-hour incident, 3 layers: {len(layered_notes)} notifications")
    measure("simulate a 24-hour incident, 3 layers", lambda: plan(layered_schedules, facts), 15, 50)
    bench_ical_import(config)


def first_time(config: Configuration, start: datetime, end: datetime) -> None:
    """The final schedule as the first question asked of the rules: compiled, with nothing they
    share worked out before."""
    forget_shared()
    Schedules(config).final_schedule(start, end)


def bench_ical_import(config: Configuration) -> None:
    """iCal import of one-off shifts naming people of `config`: time and time per event."""
    rule = config.rules[0].id
    first = datetime(2027, 1, 4, tzinfo=UTC)
    for count in (1_000, 4_000, 16_000):
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//EN"]
        for i in range(count):
            begins = first + timedelta(hours=i)
            lines += [
                "BEGIN:VEVENT",
                f"UID:shift-{i}",
                f"DTSTART:{begins:%Y%m%dT%H%M%SZ}",
                f"DTEND:{begins + timedelta(hours=2):%Y%m%dT%H%M%SZ}",
                f"SUMMARY:{config.people[i % len(config.people)].name}",
                "END:VEVENT",
            ]
        text = "\r\n".join([*lines, "END:VCALENDAR", ""])
        began = time.perf_counter()
        try:
            preview = ical.preview_import(text, config, rule)
            outcome = f"{len(preview.matched)} matched, {len(preview.conflicts)} conflicts"
        except ical.IcalError as error:
            outcome = f"refused: {error}"
        seconds = time.perf_counter() - began
        print(
            f"iCal import of {count:>6} events: {seconds * 1000:8.0f} ms "
            f"({seconds * 1e6 / count:5.0f} µs per event)  {outcome}"
        )


if __name__ == "__main__":
    main()

"""The demo team the first run offers, so the calendar is never a blank page.

Eight people on three continents and five rules (weekly primary, weekly secondary, follow-the-sun
in 8-hour UTC shifts, business hours, and a layered database rule whose regions each work 09:00–17:00
in their own zone with a backstop behind them) plus the default rule, each with a 3–4 level ladder,
a few overrides around `now`, and an integration of each kind. Everything is placed relative to
`now` so the demo always shows "this week".
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from oncall_desktop.domain import (
    ALL_SEVERITIES,
    Channel,
    Configuration,
    EscalationLevel,
    Integration,
    Layer,
    MatchConditions,
    OnCallRule,
    Override,
    Person,
    Rotation,
    Severity,
    Status,
    Target,
    Team,
    Window,
)
from oncall_desktop.timeutil import system_zone_name

SMS, VOICE, EMAIL = Channel.SMS, Channel.VOICE, Channel.EMAIL
_URGENT = frozenset({Severity.P0, Severity.P1})
_OPEN = frozenset({Status.OPEN})

# Colours chosen once and stored with each person, so the calendar keeps them whoever is added.
PEOPLE = (
    Person(
        "lukas",
        "Lukas Becker",
        "lukas.becker@example.com",
        "+493012345678",
        timezone="Europe/Berlin",
        colour="#2b3d26",
    ),
    Person(
        "chloe",
        "Chloé Martin",
        "chloe.martin@example.com",
        "+33142685300",
        timezone="Europe/Paris",
        colour="#be0032",
    ),
    Person(
        "priya",
        "Priya Raman",
        "priya.raman@example.com",
        "+442079460321",
        timezone="Europe/London",
        colour="#f6a600",
    ),
    Person(
        "maria",
        "María González",
        "maria.gonzalez@example.com",
        "+12125550143",
        timezone="America/New_York",
        colour="#882d17",
    ),
    Person(
        "james",
        "James Carter",
        "james.carter@example.com",
        "+14155550123",
        timezone="America/Los_Angeles",
        colour="#0067a5",
    ),
    Person(
        "dev",
        "Dev Patel",
        "dev.patel@example.com",
        "+13125550178",
        timezone="America/Chicago",
        colour="#dcd300",
    ),
    Person(
        "hana",
        "Hana Sato",
        "hana.sato@example.com",
        "+81345678901",
        timezone="Asia/Tokyo",
        colour="#b3446c",
    ),
    Person(
        "wei",
        "Wei Lim",
        "wei.lim@example.com",
        "+6561234567",
        timezone="Asia/Singapore",
        colour="#f99379",
    ),
)

TEAMS = (
    Team("sre", "SRE", ("lukas", "maria", "hana")),
    Team("leads", "Team leads", ("chloe", "james")),
)


# One of each kind; the store gives each a token of its own.
INTEGRATIONS = (
    Integration("prod-alertmanager", "Prod Alertmanager", "alertmanager"),
    Integration("grafana-eu", "Grafana (EU)", "grafana_alerting"),
    Integration("status-checks", "Status page checks", "webhook"),
)


def _ladder(second: str, third: str) -> tuple[EscalationLevel, ...]:
    """Page the on-call person, then `second` by voice, then `third`, then the SRE team, repeating."""
    return (
        EscalationLevel(wait=0, repeat=5, channels={"*": (SMS, EMAIL)}),
        EscalationLevel(wait=10, add=(Target(second, (VOICE, SMS)),)),
        EscalationLevel(wait=20, severities=_URGENT, statuses=_OPEN, add=(Target(third, (VOICE,)),)),
        EscalationLevel(
            wait=30,
            severities=_URGENT,
            statuses=_OPEN,
            repeat=15,
            add=(Target("team:sre", (SMS, EMAIL)),),
        ),
    )


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def demo_configuration(now: datetime) -> Configuration:
    """The demo team, anchored so that `now` falls in the middle of its rotations."""
    now = now.astimezone(UTC)
    today = now.date()
    anchor = _monday(today) - timedelta(weeks=4)
    since = datetime.combine(anchor - timedelta(days=7), time(0, 0))
    primary = OnCallRule(
        id="primary",
        name="Platform primary",
        timezone="Europe/Berlin",
        effective_start=since,
        match=MatchConditions("all", ("service:platform*",)),
        layers=(
            Layer(
                personnel=("lukas", "chloe", "priya", "maria", "james", "dev"),
                rotation=Rotation("weekly", 1, time(9, 0), anchor),
            ),
        ),
        escalation=_ladder("team:leads", "chloe"),
    )
    secondary = OnCallRule(
        id="secondary",
        name="Platform secondary",
        timezone="Europe/Berlin",
        effective_start=since,
        match=MatchConditions("all", ("service:platform*",)),
        layers=(
            Layer(
                personnel=("maria", "james", "dev", "lukas", "chloe", "priya"),
                rotation=Rotation("weekly", 1, time(9, 0), anchor),
            ),
        ),
        escalation=(
            EscalationLevel(wait=0, repeat=10, channels={"*": (EMAIL,)}),
            EscalationLevel(wait=15, add=(Target("team:leads", (SMS,)),)),
            EscalationLevel(wait=30, severities=_URGENT, repeat=20, add=(Target("team:sre", (VOICE,)),)),
        ),
    )
    # Follow-the-sun in UTC: 22:00–06:00 is Asia-Pacific's morning, 06:00–14:00 Europe's working
    # day, 14:00–22:00 the Americas'; two people per region alternate day by day.
    follow_the_sun = OnCallRule(
        id="follow-the-sun",
        name="Follow the sun",
        timezone="UTC",
        effective_start=since,
        match=MatchConditions("any", ("env:prod", "severity:critical")),
        layers=(
            Layer(
                personnel=("hana", "lukas", "maria", "wei", "priya", "james"),
                rotation=Rotation("hours", 8, time(22, 0), anchor - timedelta(days=1)),
            ),
        ),
        escalation=_ladder("team:sre", "james"),
    )
    business_hours = OnCallRule(
        id="business-hours",
        name="Business hours (Americas)",
        timezone="America/New_York",
        effective_start=since,
        windows=(Window((0, 1, 2, 3, 4), time(9, 0), time(17, 0)),),
        match=MatchConditions("all", ("service:billing*",)),
        layers=(
            Layer(personnel=("maria", "dev", "james"), rotation=Rotation("daily", 1, time(9, 0), anchor)),
        ),
        escalation=_ladder("james", "chloe"),
    )
    # Layers (SPEC §8): each region on call in its own working day, whatever DST does; where two
    # regions' days overlap the one listed first keeps it; Dev backs them up at every other hour.
    working_day = (Window((0, 1, 2, 3, 4), time(9, 0), time(17, 0)),)
    database = OnCallRule(
        id="database",
        name="Database (layers)",
        timezone="UTC",
        effective_start=since,
        match=MatchConditions("all", ("service:db*",)),
        layers=(
            Layer(
                "Asia-Pacific",
                "Asia/Tokyo",
                ("hana", "wei"),
                rotation=Rotation("daily", 1, time(9, 0), anchor),
                windows=working_day,
            ),
            Layer(
                "Europe",
                "Europe/London",
                ("priya", "lukas"),
                rotation=Rotation("weekly", 1, time(9, 0), anchor),
                windows=working_day,
            ),
            Layer(
                "Americas",
                "America/New_York",
                ("maria", "james"),
                rotation=Rotation("weekly", 1, time(9, 0), anchor),
                windows=working_day,
            ),
            Layer("Backstop", personnel=("dev",)),
        ),
        escalation=_ladder("team:sre", "chloe"),
    )
    default = OnCallRule(
        id="default",
        name="Default",
        timezone=system_zone_name(),
        layers=(Layer(personnel=("team:sre",), rotation=Rotation("weekly", 1, time(9, 0), anchor)),),
        escalation=(
            EscalationLevel(wait=0, severities=ALL_SEVERITIES, repeat=10, channels={"*": (SMS, EMAIL)}),
            EscalationLevel(wait=15, repeat=15, add=(Target("team:leads", (VOICE,)),)),
        ),
    )
    midnight = datetime.combine(today, time(0, 0), tzinfo=UTC)
    overrides = (
        # Priya swaps in on primary for two days around now (Berlin 09:00 handoffs).
        Override(
            "primary",
            "priya",
            midnight - timedelta(days=1) + timedelta(hours=8),
            midnight + timedelta(days=1, hours=8),
        ),
        # Wei covers an Asia-Pacific shift later this week.
        Override(
            "follow-the-sun",
            "wei",
            midnight + timedelta(days=3, hours=-2),
            midnight + timedelta(days=3, hours=6),
        ),
        # Dev takes a business day next week.
        Override(
            "business-hours",
            "dev",
            midnight + timedelta(days=8, hours=13),
            midnight + timedelta(days=8, hours=22),
        ),
    )
    return Configuration(
        people=PEOPLE,
        teams=TEAMS,
        rules=(primary, secondary, follow_the_sun, business_hours, database, default),
        overrides=overrides,
        integrations=INTEGRATIONS,
    )

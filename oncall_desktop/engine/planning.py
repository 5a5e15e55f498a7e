"""Planning one incident: the planner's notifications up to now, as the outbox takes them.

`plan_incident` turns one due incident into an `IncidentPlan`: its pages in (planned_until, now],
when it is due again, the timeline lines planning has to say (a level entered, a level that notified
nobody, an incident nobody is notified of — SPEC §9), and whether anybody is paged. It is pure but
for the schedules it is given; the engine calls it once per incident and isolates each call, so an
incident that cannot be planned is paged through the default rule meanwhile (`fallback_schedules`)
and every other incident goes on.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from oncall_desktop.domain import DEFAULT_RULE_ID, Channel, Configuration, Status
from oncall_desktop.incident import DueIncident, IncidentPlan, NewEvent, PlannedPage
from oncall_desktop.planner import IncidentFacts, LevelEntry, explain_unpaged, plan
from oncall_desktop.schedule import Schedules

CHANNEL_NAMES = {Channel.SMS: "SMS", Channel.VOICE: "call", Channel.EMAIL: "email"}


def plan_incident(
    due: DueIncident,
    schedules: Schedules,
    now: datetime,
    horizon: timedelta,
    revision: int,
    have: set[tuple[int, str, Channel, datetime]],
) -> IncidentPlan:
    """The incident's notifications in (planned_until, now] and what to say about them."""
    incident = due.incident
    config = schedules.config
    facts = IncidentFacts(incident.created_at, incident.severity, incident.tags)
    horizon_end = max(now, incident.created_at) + horizon
    entries: list[LevelEntry] = []
    notes = plan(
        schedules,
        facts,
        incident.status_changes(),
        until=horizon_end,
        since=due.planned_until,
        entries=entries,
        stop_after=now,
    )
    pages = tuple(
        PlannedPage(
            incident_id=incident.id,
            person=n.person,
            channel=n.channel,
            address=_address(config, n.person, n.channel),
            rule=n.rule,
            level=n.level,
            repeat=n.repeat,
            handover=n.handover,
            at=n.at,
        )
        for n in notes
        if n.at <= now and (incident.id, n.person, n.channel, n.at) not in have
    )
    events = [
        _entry_event(incident.id, entry, config)
        for entry in entries
        if entry.at <= now and (entry.level > 0 or not entry.recipients)
    ]
    paged: bool | None = None
    if pages and incident.paged is not True:
        paged = True
        if incident.paged is False:
            events.append(NewEvent(incident.id, pages[0].at, "paged", "paged after all: routing moved on"))
    elif due.is_new and not pages and incident.status != Status.RESOLVED:
        paged = False
        events.append(NewEvent(incident.id, now, "unpaged", explain_unpaged(schedules, facts)))
    if due.problem is not None:
        events.append(
            NewEvent(incident.id, now, "planning", "planning works again with the incident's rules")
        )
    if incident.status == Status.RESOLVED:
        next_due = None
    else:
        next_due = next((n.at for n in notes if n.at > now), horizon_end)
    return IncidentPlan(
        incident_id=incident.id,
        pages=pages,
        planned_until=now,
        next_due=next_due,
        revision=revision,
        events=tuple(events),
        paged=paged,
    )


def fallback_schedules(config: Configuration) -> Schedules:
    """Schedules with the default rule alone: how an incident that cannot be planned with its own
    rules is paged meanwhile."""
    default = config.rule(DEFAULT_RULE_ID)
    rules = (default,) if default is not None else ()
    overrides = tuple(o for o in config.overrides if o.rule == DEFAULT_RULE_ID)
    return Schedules(
        Configuration(people=config.people, teams=config.teams, rules=rules, overrides=overrides)
    )


def _address(config: Configuration, person_id: str, channel: Channel) -> str | None:
    person = config.person(person_id)
    if person is None:
        return None
    return person.paging_email if channel == Channel.EMAIL else person.paging_phone


def _entry_event(incident_id: int, entry: LevelEntry, config: Configuration) -> NewEvent:
    rule = config.rule(entry.rule)
    name = rule.name if rule is not None else entry.rule
    where = f"level {entry.level} of {name}"
    empty = _empty_teams(entry, config)
    if not entry.recipients:
        why = f" ({empty} no members)" if empty else " (its targets have no channels)"
        return NewEvent(incident_id, entry.at, "level", f"{where}: nobody to notify{why}", level=entry.level)
    people = ", ".join(
        f"{config.display_name(pid)} ({', '.join(CHANNEL_NAMES[c] for c in channels)})"
        for pid, channels in entry.recipients
    )
    text = f"escalated to {where}: notifying {people}"
    if empty and rule is not None:
        adds_nobody = all(not config.expand(t.target) for t in rule.escalation[entry.level].add)
        text += f"; {empty} no members" + (", so this level adds nobody" if adds_nobody else "")
    return NewEvent(incident_id, entry.at, "level", text, level=entry.level)


def _empty_teams(entry: LevelEntry, config: Configuration) -> str:
    """'SRE has' / 'SRE, DBA have': the teams this level adds that have no members."""
    rule = config.rule(entry.rule)
    if rule is None or entry.level >= len(rule.escalation):
        return ""
    level = rule.escalation[entry.level]
    empty = [config.display_name(t.target) for t in level.add if not config.expand(t.target)]
    if not empty:
        return ""
    return f"{', '.join(empty)} {'has' if len(empty) == 1 else 'have'}"

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
from oncall_desktop.incident import DueIncident, Incident, IncidentPlan, NewEvent, PlannedPage
from oncall_desktop.maintenance import hold_for
from oncall_desktop.planner import IncidentFacts, LevelEntry, explain_unpaged, plan
from oncall_desktop.schedule import Schedules
from oncall_desktop.timeutil import format_instant

CHANNEL_NAMES = {Channel.SMS: "SMS", Channel.VOICE: "call", Channel.EMAIL: "email", Channel.CHAT: "chat"}


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
    held = _hold(due, config)
    start = held[1] if held is not None else incident.created_at
    facts = IncidentFacts(start, incident.severity, incident.tags)
    horizon_end = max(now, start) + horizon
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
    new_hold = held is not None and incident.held_until is None
    if held is not None and new_hold:
        events.append(NewEvent(incident.id, incident.created_at, "maintenance", _held_text(held)))
    # Escalation starts now: a new incident, or a held one whose window has just ended.
    starting = due.is_new if held is None else (due.planned_until or incident.created_at) < start <= now
    if held is not None and starting:
        events.append(_window_ended(incident, held, start))
    paged: bool | None = None
    if pages and incident.paged is not True:
        paged = True
        if incident.paged is False:
            events.append(NewEvent(incident.id, pages[0].at, "paged", "paged after all: routing moved on"))
    elif starting and not pages and incident.status != Status.RESOLVED:
        paged = False
        if held is None or incident.status == Status.OPEN:
            events.append(NewEvent(incident.id, now, "unpaged", explain_unpaged(schedules, facts)))
    if due.problem is not None:
        events.append(
            NewEvent(incident.id, now, "planning", "planning works again with the incident's rules")
        )
    if incident.status == Status.RESOLVED:
        next_due = None
    else:
        next_due = next((n.at for n in notes if n.at > now), horizon_end)
        if now < start:
            next_due = min(next_due, start)  # the window's end is said on the timeline when it comes
    return IncidentPlan(
        incident_id=incident.id,
        pages=pages,
        planned_until=now,
        next_due=next_due,
        revision=revision,
        events=tuple(events),
        paged=paged,
        held=held if new_hold else None,
    )


def _hold(due: DueIncident, config: Configuration) -> tuple[str, datetime] | None:
    """The maintenance window holding the incident: the one stored with it, or, at its first
    planning, the one its creation instant and tags fall into (decided once, then stored)."""
    incident = due.incident
    if incident.held_until is not None:
        return (incident.maintenance or "maintenance", incident.held_until)
    if not due.is_new:
        return None
    hold = hold_for(config.maintenance, incident.created_at, incident.tags)
    return (hold.window, hold.until) if hold is not None else None


def _held_text(held: tuple[str, datetime]) -> str:
    name, until = held
    return (
        f"in maintenance ({name}) until {format_instant(until)}: nobody is paged; "
        "escalation starts then if the incident is still open"
    )


def _window_ended(incident: Incident, held: tuple[str, datetime], at: datetime) -> NewEvent:
    name = held[0]
    status = incident.status_changes()
    acknowledged = any(c.at <= at and c.status != Status.OPEN for c in status)
    if incident.status == Status.RESOLVED and any(c.at <= at and c.status == Status.RESOLVED for c in status):
        text = f"maintenance ({name}) ended; the incident was resolved meanwhile, so nobody is paged"
    elif acknowledged:
        text = f"maintenance ({name}) ended; the incident was acknowledged meanwhile, so nobody is paged"
    else:
        text = f"maintenance ({name}) ended with the incident still open: escalation starts now"
    return NewEvent(incident.id, at, "maintenance", text)


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
    if channel == Channel.CHAT:
        return None  # the URLs are secrets: the chat notifier reads them from the keyring
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

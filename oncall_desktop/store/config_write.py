"""Writing the configuration: every change in its own transaction (SPEC §2, §7).

Every configuration write first bumps the revision counter, which both lets other processes notice
the change cheaply and takes the write lock before anything is read. Reading is `config_read`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oncall_desktop.domain import (
    DEFAULT_RULE_ID,
    TEAM_PREFIX,
    Configuration,
    HandoffReminders,
    Integration,
    Layer,
    MaintenanceWindow,
    OnCallRule,
    Override,
    Person,
    Settings,
    Severity,
    Status,
    Team,
)
from oncall_desktop.person_colours import next_colour
from oncall_desktop.store.config_read import empty_default_rule
from oncall_desktop.store.db import Database
from oncall_desktop.store.errors import InUseError, NotFoundError, StoreError
from oncall_desktop.store.maintenance import replace_windows
from oncall_desktop.store.models import (
    ConditionRow,
    ConfigState,
    IntegrationRow,
    LayerRow,
    LayerWindowRow,
    LevelRow,
    OverrideRow,
    PersonnelRow,
    PersonRow,
    RuleRow,
    SettingsRow,
    TargetRow,
    TeamMemberRow,
    TeamRow,
    WindowRow,
)
from oncall_desktop.store.planning import replace_time_off, time_off_ids
from oncall_desktop.store.planning_models import TimeOffRow
from oncall_desktop.store.tokens import MIN_TOKEN_LENGTH, new_token


class ConfigWriter:
    """The configuration's writes; `Store` hands its own methods of the same names to these."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A configuration write: bumps the revision first, turns constraint failures into StoreError."""
        try:
            with self.db.write() as session:
                session.execute(
                    update(ConfigState).where(ConfigState.id == 1).values(revision=ConfigState.revision + 1)
                )
                yield session
        except StoreError as error:
            cause = error.__cause__
            if isinstance(cause, IntegrityError):
                raise StoreError(f"the configuration is inconsistent: {cause.orig}") from None
            raise

    # -- replacing everything -------------------------------------------------------------------

    def replace_configuration(self, config: Configuration) -> None:
        with self.write() as session:
            kept_override_ids = set(session.scalars(select(OverrideRow.id)))
            kept_time_off_ids = time_off_ids(session)
            stored_colours: dict[str, str | None] = dict(
                session.execute(select(PersonRow.id, PersonRow.colour)).all()
            )
            for model in (
                TimeOffRow,
                OverrideRow,
                TargetRow,
                LevelRow,
                PersonnelRow,
                LayerWindowRow,
                LayerRow,
                ConditionRow,
                WindowRow,
                RuleRow,
                TeamMemberRow,
                TeamRow,
                PersonRow,
            ):
                session.execute(delete(model))
            people = _with_colours(config.people, stored_colours)
            _insert(session, PersonRow, [_person_values(p, i) for i, p in enumerate(people)])
            _insert(session, TeamRow, [_team_values(t, i) for i, t in enumerate(config.teams)])
            _insert(session, TeamMemberRow, [m for t in config.teams for m in _member_values(t)])
            rules = list(config.rules)
            if not any(rule.id == DEFAULT_RULE_ID for rule in rules):
                rules.append(empty_default_rule())
            _insert(session, RuleRow, [_rule_values(r, i) for i, r in enumerate(rules)])
            for rule in rules:
                _insert_rule_children(session, rule)
            with_id = [o for o in config.overrides if o.id is not None and o.id in kept_override_ids]
            without_id = [o for o in config.overrides if o not in with_id]
            _insert(session, OverrideRow, [{"id": o.id, **_override_values(o)} for o in with_id])
            _insert(session, OverrideRow, [_override_values(o) for o in without_id])
            _replace_integrations(session, config.integrations)
            _save_settings(session, config.settings)
            replace_windows(session, config.maintenance)
            replace_time_off(session, config.time_off, kept_time_off_ids)

    # -- granular edits -------------------------------------------------------------------------

    def save_person(self, person: Person) -> None:
        with self.write() as session:
            row = session.get(PersonRow, person.id)
            if person.colour is None:
                colour = row.colour if row is not None else None
                taken = session.scalars(select(PersonRow.colour).where(PersonRow.id != person.id))
                person = replace(person, colour=colour or next_colour(taken))
            if row is None:
                values = _person_values(person, _next_position(session, PersonRow))
                session.execute(insert(PersonRow), [values])
            else:
                values = _person_values(person, row.position)
                session.execute(update(PersonRow).where(PersonRow.id == person.id).values(values))

    def delete_person(self, person_id: str) -> None:
        with self.write() as session:
            if session.get(PersonRow, person_id) is None:
                raise NotFoundError(f"no person {person_id!r}")
            uses = _person_uses(session, person_id)
            if uses:
                raise InUseError(f"person {person_id!r} is still used by {', '.join(uses)}")
            session.execute(delete(PersonRow).where(PersonRow.id == person_id))

    def save_team(self, team: Team) -> None:
        with self.write() as session:
            row = session.get(TeamRow, team.id)
            if row is None:
                session.execute(insert(TeamRow), [_team_values(team, _next_position(session, TeamRow))])
            else:
                session.execute(update(TeamRow).where(TeamRow.id == team.id).values(name=team.name))
                session.execute(delete(TeamMemberRow).where(TeamMemberRow.team_id == team.id))
            _insert(session, TeamMemberRow, _member_values(team))

    def delete_team(self, team_id: str) -> None:
        with self.write() as session:
            if session.get(TeamRow, team_id) is None:
                raise NotFoundError(f"no team {team_id!r}")
            uses = _team_uses(session, team_id)
            if uses:
                raise InUseError(f"team {team_id!r} is still used by {', '.join(uses)}")
            session.execute(delete(TeamMemberRow).where(TeamMemberRow.team_id == team_id))
            session.execute(delete(TeamRow).where(TeamRow.id == team_id))

    def save_rule(self, rule: OnCallRule) -> None:
        with self.write() as session:
            row = session.get(RuleRow, rule.id)
            if row is None:
                session.execute(insert(RuleRow), [_rule_values(rule, _next_position(session, RuleRow))])
            else:
                _delete_rule_children(session, rule.id)
                values = _rule_values(rule, row.position)
                session.execute(update(RuleRow).where(RuleRow.id == rule.id).values(values))
            _insert_rule_children(session, rule)

    def delete_rule(self, rule_id: str) -> None:
        if rule_id == DEFAULT_RULE_ID:
            raise StoreError("the default rule cannot be deleted")
        with self.write() as session:
            if session.get(RuleRow, rule_id) is None:
                raise NotFoundError(f"no rule {rule_id!r}")
            session.execute(delete(OverrideRow).where(OverrideRow.rule_id == rule_id))
            _delete_rule_children(session, rule_id)
            session.execute(delete(RuleRow).where(RuleRow.id == rule_id))

    def add_override(self, override: Override) -> Override:
        with self.write() as session:
            row = OverrideRow(**_override_values(override))
            session.add(row)
            session.flush()
            return replace(override, id=row.id)

    def update_override(self, override: Override) -> None:
        if override.id is None:
            raise NotFoundError("an override without an id cannot be updated")
        with self.write() as session:
            result = session.execute(
                update(OverrideRow).where(OverrideRow.id == override.id).values(_override_values(override))
            )
            if _rowcount(result) == 0:
                raise NotFoundError(f"no override {override.id}")

    def delete_override(self, override_id: int) -> None:
        with self.write() as session:
            result = session.execute(delete(OverrideRow).where(OverrideRow.id == override_id))
            if _rowcount(result) == 0:
                raise NotFoundError(f"no override {override_id}")

    def add_overrides(self, overrides: Sequence[Override]) -> list[Override]:
        with self.write() as session:
            rows = [OverrideRow(**_override_values(o)) for o in overrides]
            session.add_all(rows)
            session.flush()
            return [replace(o, id=row.id) for o, row in zip(overrides, rows, strict=True)]

    def delete_overrides(self, override_ids: Sequence[int]) -> None:
        with self.write() as session:
            wanted = set(override_ids)
            found = set(session.scalars(select(OverrideRow.id).where(OverrideRow.id.in_(wanted))))
            missing = sorted(wanted - found)
            if missing:
                raise NotFoundError(f"no override {', '.join(map(str, missing))}")
            session.execute(delete(OverrideRow).where(OverrideRow.id.in_(wanted)))

    def save_integration(self, integration: Integration, position: int | None = None) -> Integration:
        if integration.token is not None and len(integration.token) < MIN_TOKEN_LENGTH:
            raise StoreError(f"an integration token needs at least {MIN_TOKEN_LENGTH} characters")
        with self.write() as session:
            row = session.get(IntegrationRow, integration.id)
            if row is not None:
                token = integration.token or row.token
                values = _integration_values(integration, row.position, token)
                session.execute(
                    update(IntegrationRow).where(IntegrationRow.id == integration.id).values(values)
                )
                return replace(integration, token=token)
            end = _next_position(session, IntegrationRow)
            at = end if position is None else max(0, min(position, end))
            session.execute(
                update(IntegrationRow)
                .where(IntegrationRow.position >= at)
                .values(position=IntegrationRow.position + 1)
            )
            token = integration.token or new_token()
            session.execute(insert(IntegrationRow), [_integration_values(integration, at, token)])
            return replace(integration, token=token)

    def delete_integration(self, integration_id: str) -> None:
        with self.write() as session:
            result = session.execute(delete(IntegrationRow).where(IntegrationRow.id == integration_id))
            if _rowcount(result) == 0:
                raise NotFoundError(f"no integration {integration_id!r}")

    def rotate_integration_token(self, integration_id: str, token: str | None = None) -> str:
        token = token or new_token()
        if len(token) < MIN_TOKEN_LENGTH:
            raise StoreError(f"an integration token needs at least {MIN_TOKEN_LENGTH} characters")
        with self.write() as session:
            result = session.execute(
                update(IntegrationRow).where(IntegrationRow.id == integration_id).values(token=token)
            )
            if _rowcount(result) == 0:
                raise NotFoundError(f"no integration {integration_id!r}")
        return token

    def save_maintenance(self, windows: Sequence[MaintenanceWindow]) -> None:
        with self.write() as session:
            replace_windows(session, windows)

    def save_settings(self, settings: Settings) -> None:
        with self.write() as session:
            _save_settings(session, settings)


def _insert(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(model), rows)


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0))


def _next_position(session: Session, model: type[Any]) -> int:
    highest = session.scalar(select(func.max(model.position)))
    return 0 if highest is None else int(highest) + 1


def _person_values(person: Person, position: int) -> dict[str, Any]:
    return {
        "id": person.id,
        "position": position,
        "name": person.name,
        "email": person.email,
        "phone": person.phone,
        "oncall_email": person.oncall_email,
        "oncall_phone": person.oncall_phone,
        "timezone": person.timezone,
        "colour": person.colour,
        "chat": person.chat,
        "holidays": person.holidays,
    }


def _with_colours(people: Sequence[Person], stored: Mapping[str, str | None]) -> list[Person]:
    """`people` with a colour each: their own, else the one stored for their id, else a new one
    different from all of those."""
    kept = [p.colour or stored.get(p.id) for p in people]
    taken = [c for c in kept if c]
    coloured = []
    for person, colour in zip(people, kept, strict=True):
        if colour is None:
            colour = next_colour(taken)
            taken.append(colour)
        coloured.append(person if person.colour == colour else replace(person, colour=colour))
    return coloured


def _team_values(team: Team, position: int) -> dict[str, Any]:
    return {"id": team.id, "position": position, "name": team.name}


def _member_values(team: Team) -> list[dict[str, Any]]:
    return [{"team_id": team.id, "position": i, "person_id": pid} for i, pid in enumerate(team.members)]


def _wall_and_offset(value: datetime | None) -> tuple[datetime | None, int | None]:
    if value is None:
        return None, None
    offset = value.utcoffset()
    if offset is None:
        return value.replace(tzinfo=None), None
    return value.replace(tzinfo=None), int(offset.total_seconds())


def _rule_values(rule: OnCallRule, position: int) -> dict[str, Any]:
    if rule.id == DEFAULT_RULE_ID:
        rule = replace(
            empty_default_rule(), layers=rule.layers, combine=rule.combine, escalation=rule.escalation
        )
    start, start_offset = _wall_and_offset(rule.effective_start)
    end, end_offset = _wall_and_offset(rule.effective_end)
    return {
        "id": rule.id,
        "position": position,
        "name": rule.name,
        "timezone": rule.timezone,
        "effective_start": start,
        "effective_start_offset": start_offset,
        "effective_end": end,
        "effective_end_offset": end_offset,
        "match_mode": rule.match.mode,
        "combine": rule.combine,
        **_reminder_values(rule.reminders),
    }


def _layer_values(rule_id: str, position: int, layer: Layer) -> dict[str, Any]:
    start, start_offset = _wall_and_offset(layer.effective_start)
    end, end_offset = _wall_and_offset(layer.effective_end)
    rotation = layer.rotation
    return {
        "rule_id": rule_id,
        "position": position,
        "name": layer.name,
        "timezone": layer.timezone,
        "effective_start": start,
        "effective_start_offset": start_offset,
        "effective_end": end,
        "effective_end_offset": end_offset,
        "rotation_period": rotation.period if rotation else None,
        "rotation_every": rotation.every if rotation else None,
        "rotation_handoff": rotation.handoff if rotation else None,
        "rotation_anchor": rotation.anchor if rotation else None,
    }


def _split_entry(entry: str) -> dict[str, str | None]:
    if entry.startswith(TEAM_PREFIX):
        return {"person_id": None, "team_id": entry[len(TEAM_PREFIX) :]}
    return {"person_id": entry, "team_id": None}


def _insert_rule_children(session: Session, rule: OnCallRule) -> None:
    if rule.id != DEFAULT_RULE_ID:
        windows = [
            {"rule_id": rule.id, "position": i, "days": list(w.days), "start": w.start, "end": w.end}
            for i, w in enumerate(rule.windows)
        ]
        _insert(session, WindowRow, windows)
        conditions = [
            {"rule_id": rule.id, "position": i, "condition": c} for i, c in enumerate(rule.match.conditions)
        ]
        _insert(session, ConditionRow, conditions)
    _insert(session, LayerRow, [_layer_values(rule.id, n, layer) for n, layer in enumerate(rule.layers)])
    personnel = [
        {"rule_id": rule.id, "layer": n, "position": i, **_split_entry(e)}
        for n, layer in enumerate(rule.layers)
        for i, e in enumerate(layer.personnel)
    ]
    _insert(session, PersonnelRow, personnel)
    windows = [
        {"rule_id": rule.id, "layer": n, "position": i, "days": list(w.days), "start": w.start, "end": w.end}
        for n, layer in enumerate(rule.layers)
        for i, w in enumerate(layer.windows)
    ]
    _insert(session, LayerWindowRow, windows)
    levels = [
        {
            "rule_id": rule.id,
            "level": n,
            "wait": level.wait,
            "severities": sorted(s.value for s in level.severities),
            "statuses": sorted((s.value for s in level.statuses), key=lambda s: Status(s).rank),
            "repeat": level.repeat,
            "channels": {key: [c.value for c in values] for key, values in level.channels.items()},
        }
        for n, level in enumerate(rule.escalation)
    ]
    _insert(session, LevelRow, levels)
    targets = [
        {
            "rule_id": rule.id,
            "level": n,
            "position": i,
            "channels": [c.value for c in target.channels],
            **_split_entry(target.target),
        }
        for n, level in enumerate(rule.escalation)
        for i, target in enumerate(level.add)
    ]
    _insert(session, TargetRow, targets)


def _delete_rule_children(session: Session, rule_id: str) -> None:
    for model in (TargetRow, LevelRow, PersonnelRow, LayerWindowRow, LayerRow, ConditionRow, WindowRow):
        session.execute(delete(model).where(model.rule_id == rule_id))


def _override_values(override: Override) -> dict[str, Any]:
    return {
        "rule_id": override.rule,
        "person_id": override.person,
        "start_at": override.start,
        "end_at": override.end,
    }


def _integration_values(integration: Integration, position: int, token: str) -> dict[str, Any]:
    return {
        "id": integration.id,
        "position": position,
        "name": integration.name,
        "kind": integration.kind,
        "token": token,
        "severity_mapping": {
            key: Severity(value).value for key, value in integration.severity_mapping.items()
        },
        "heartbeat_seconds": integration.heartbeat_timeout,
    }


def _replace_integrations(session: Session, integrations: Sequence[Integration]) -> None:
    existing: Mapping[str, str] = {row.id: row.token for row in session.scalars(select(IntegrationRow))}
    keep = {i.id for i in integrations}
    session.execute(delete(IntegrationRow).where(IntegrationRow.id.not_in(keep)))
    for position, integration in enumerate(integrations):
        token = integration.token or existing.get(integration.id) or new_token()
        values = _integration_values(integration, position, token)
        if integration.id in existing:
            session.execute(update(IntegrationRow).where(IntegrationRow.id == integration.id).values(values))
        else:
            session.execute(insert(IntegrationRow), [values])


def _save_settings(session: Session, settings: Settings) -> None:
    values = {
        "station_listen": settings.station.listen,
        "station_public_url": settings.station.public_url,
        "station_lease_seconds": settings.station.lease_seconds,
        "twilio_account_sid": settings.twilio.account_sid,
        "twilio_from_number": settings.twilio.from_number,
        "twilio_api_base_url": settings.twilio.api_base_url,
        "smtp_host": settings.smtp.host,
        "smtp_port": settings.smtp.port,
        "smtp_security": settings.smtp.security,
        "smtp_username": settings.smtp.username,
        "smtp_sender": settings.smtp.sender,
    }
    if session.get(SettingsRow, 1) is None:
        session.execute(insert(SettingsRow), [{"id": 1, **values}])
    else:
        session.execute(update(SettingsRow).where(SettingsRow.id == 1).values(values))


# -- what refers to what ------------------------------------------------------------------------


def _person_uses(session: Session, person_id: str) -> list[str]:
    uses = [
        f"team {team_id!r}"
        for team_id in session.scalars(
            select(TeamMemberRow.team_id).where(TeamMemberRow.person_id == person_id).distinct()
        )
    ]
    uses += _personnel_uses(session, PersonnelRow.person_id == person_id)
    for rule_id, level in session.execute(
        select(TargetRow.rule_id, TargetRow.level).where(TargetRow.person_id == person_id).distinct()
    ):
        uses.append(f"escalation level {level} of rule {rule_id!r}")
    for rule_id, level, channels in session.execute(
        select(LevelRow.rule_id, LevelRow.level, LevelRow.channels)
    ):
        if person_id in channels:
            uses.append(f"the channels of escalation level {level} of rule {rule_id!r}")
    for rule_id, count in session.execute(
        select(OverrideRow.rule_id, func.count())
        .where(OverrideRow.person_id == person_id)
        .group_by(OverrideRow.rule_id)
    ):
        uses.append(f"{count} override{'s' if count != 1 else ''} on rule {rule_id!r}")
    return uses


def _personnel_uses(session: Session, where: ColumnElement[bool]) -> list[str]:
    """ "the personnel of rule 'x'" (or "of layer 'London' of rule 'x'") for each layer listing it."""
    found = session.execute(
        select(LayerRow.rule_id, LayerRow.name)
        .join(
            PersonnelRow,
            (PersonnelRow.rule_id == LayerRow.rule_id) & (PersonnelRow.layer == LayerRow.position),
        )
        .where(where)
        .distinct()
        .order_by(LayerRow.rule_id, LayerRow.name)
    )
    return [
        f"the personnel of layer {name!r} of rule {rule_id!r}"
        if name
        else f"the personnel of rule {rule_id!r}"
        for rule_id, name in found
    ]


def _team_uses(session: Session, team_id: str) -> list[str]:
    uses = _personnel_uses(session, PersonnelRow.team_id == team_id)
    for rule_id, level in session.execute(
        select(TargetRow.rule_id, TargetRow.level).where(TargetRow.team_id == team_id).distinct()
    ):
        uses.append(f"escalation level {level} of rule {rule_id!r}")
    return uses


def _reminder_values(reminders: HandoffReminders | None) -> dict[str, Any]:
    """A rule's reminder settings as its row's columns."""
    if reminders is None:
        return {"reminder_minutes": None, "reminder_channels": None}
    return {
        "reminder_minutes": reminders.before_minutes,
        "reminder_channels": [c.value for c in reminders.channels],
    }

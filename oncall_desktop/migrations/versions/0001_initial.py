"""Initial schema: configuration, incidents, notifications and the engine lease.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 21:15:53.751157
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "config_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_config_state")),
    )
    op.create_table(
        "engine_lease",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_engine_lease")),
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("dedup_key", sa.String(length=500), nullable=True),
        sa.Column("integration_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=100), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("link", sa.String(length=2000), nullable=True),
        sa.Column("image_url", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incidents_integration_id_dedup_key", ["integration_id", "dedup_key"], unique=False
        )
        batch_op.create_index("ix_incidents_status_created_at", ["status", "created_at"], unique=False)

    op.create_table(
        "integrations",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("token", sa.String(length=200), nullable=False),
        sa.Column("severity_mapping", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrations")),
        sa.UniqueConstraint("token", name=op.f("uq_integrations_token")),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("oncall_email", sa.String(length=320), nullable=True),
        sa.Column("oncall_phone", sa.String(length=32), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("colour", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
    )
    op.create_table(
        "rules",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("effective_start", sa.DateTime(), nullable=True),
        sa.Column("effective_start_offset", sa.Integer(), nullable=True),
        sa.Column("effective_end", sa.DateTime(), nullable=True),
        sa.Column("effective_end_offset", sa.Integer(), nullable=True),
        sa.Column("match_mode", sa.String(length=8), nullable=False),
        sa.Column("rotation_period", sa.String(length=16), nullable=True),
        sa.Column("rotation_every", sa.Integer(), nullable=True),
        sa.Column("rotation_handoff", sa.Time(), nullable=True),
        sa.Column("rotation_anchor", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rules")),
    )
    op.create_table(
        "settings",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("station_listen", sa.String(length=200), nullable=False),
        sa.Column("station_public_url", sa.String(length=500), nullable=True),
        sa.Column("twilio_account_sid", sa.String(length=64), nullable=True),
        sa.Column("twilio_from_number", sa.String(length=32), nullable=True),
        sa.Column("twilio_api_base_url", sa.String(length=500), nullable=True),
        sa.Column("smtp_host", sa.String(length=255), nullable=True),
        sa.Column("smtp_port", sa.Integer(), nullable=False),
        sa.Column("smtp_security", sa.String(length=16), nullable=False),
        sa.Column("smtp_username", sa.String(length=320), nullable=True),
        sa.Column("smtp_sender", sa.String(length=320), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settings")),
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
    )
    op.create_table(
        "escalation_levels",
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("wait", sa.Integer(), nullable=False),
        sa.Column("severities", sa.JSON(), nullable=False),
        sa.Column("statuses", sa.JSON(), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=True),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["rules.id"], name=op.f("fk_escalation_levels_rule_id_rules"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("rule_id", "level", name=op.f("pk_escalation_levels")),
    )
    op.create_table(
        "incident_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.String(length=100), nullable=True),
        sa.Column("group_key", sa.String(length=1000), nullable=False),
        sa.Column("fingerprint", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_alerts_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_alerts")),
        sa.UniqueConstraint(
            "incident_id", "fingerprint", name=op.f("uq_incident_alerts_incident_id_fingerprint")
        ),
    )
    with op.batch_alter_table("incident_alerts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incident_alerts_integration_id_group_key", ["integration_id", "group_key"], unique=False
        )

    op.create_table(
        "incident_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_events_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_events")),
    )
    with op.batch_alter_table("incident_events", schema=None) as batch_op:
        batch_op.create_index("ix_incident_events_incident_id_at", ["incident_id", "at"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=True),
        sa.Column("rule_id", sa.String(length=100), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("handover", sa.Boolean(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("provider_id", sa.String(length=200), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_notifications_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "incident_id",
            "person_id",
            "channel",
            "scheduled_at",
            name=op.f("uq_notifications_incident_id_person_id_channel_scheduled_at"),
        ),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_state_scheduled_at", ["state", "scheduled_at"], unique=False)

    op.create_table(
        "overrides",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("person_id", sa.String(length=100), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_overrides_person_id_people")),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["rules.id"], name=op.f("fk_overrides_rule_id_rules"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_overrides")),
    )
    with op.batch_alter_table("overrides", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_overrides_person_id"), ["person_id"], unique=False)
        batch_op.create_index("ix_overrides_rule_id_start_at", ["rule_id", "start_at"], unique=False)

    op.create_table(
        "rule_conditions",
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("condition", sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["rules.id"], name=op.f("fk_rule_conditions_rule_id_rules"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("rule_id", "position", name=op.f("pk_rule_conditions")),
    )
    op.create_table(
        "rule_personnel",
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=100), nullable=True),
        sa.Column("team_id", sa.String(length=100), nullable=True),
        sa.CheckConstraint(
            "(person_id IS NULL) <> (team_id IS NULL)", name=op.f("ck_rule_personnel_person_xor_team")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_rule_personnel_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["rules.id"], name=op.f("fk_rule_personnel_rule_id_rules"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_rule_personnel_team_id_teams")),
        sa.PrimaryKeyConstraint("rule_id", "position", name=op.f("pk_rule_personnel")),
    )
    with op.batch_alter_table("rule_personnel", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rule_personnel_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rule_personnel_team_id"), ["team_id"], unique=False)

    op.create_table(
        "rule_windows",
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("days", sa.JSON(), nullable=False),
        sa.Column("start", sa.Time(), nullable=False),
        sa.Column("end", sa.Time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["rules.id"], name=op.f("fk_rule_windows_rule_id_rules"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("rule_id", "position", name=op.f("pk_rule_windows")),
    )
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_team_members_person_id_people")),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_team_members_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("team_id", "position", name=op.f("pk_team_members")),
    )
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_members_person_id"), ["person_id"], unique=False)

    op.create_table(
        "level_targets",
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=100), nullable=True),
        sa.Column("team_id", sa.String(length=100), nullable=True),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "(person_id IS NULL) <> (team_id IS NULL)", name=op.f("ck_level_targets_person_xor_team")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_level_targets_person_id_people")),
        sa.ForeignKeyConstraint(
            ["rule_id", "level"],
            ["escalation_levels.rule_id", "escalation_levels.level"],
            name=op.f("fk_level_targets_rule_id_level_escalation_levels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_level_targets_team_id_teams")),
        sa.PrimaryKeyConstraint("rule_id", "level", "position", name=op.f("pk_level_targets")),
    )
    with op.batch_alter_table("level_targets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_level_targets_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_level_targets_team_id"), ["team_id"], unique=False)

    # The revision counter and the default rule always exist: overrides on the default rule need its
    # row, and every configuration write bumps the counter in place.
    op.bulk_insert(
        sa.table("config_state", sa.column("id"), sa.column("revision")), [{"id": 1, "revision": 0}]
    )
    op.bulk_insert(
        sa.table(
            "rules",
            sa.column("id"),
            sa.column("position"),
            sa.column("name"),
            sa.column("timezone"),
            sa.column("match_mode"),
        ),
        [{"id": "default", "position": 0, "name": "Default", "timezone": "UTC", "match_mode": "all"}],
    )


def downgrade() -> None:
    with op.batch_alter_table("level_targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_level_targets_team_id"))
        batch_op.drop_index(batch_op.f("ix_level_targets_person_id"))

    op.drop_table("level_targets")
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_members_person_id"))

    op.drop_table("team_members")
    op.drop_table("rule_windows")
    with op.batch_alter_table("rule_personnel", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rule_personnel_team_id"))
        batch_op.drop_index(batch_op.f("ix_rule_personnel_person_id"))

    op.drop_table("rule_personnel")
    op.drop_table("rule_conditions")
    with op.batch_alter_table("overrides", schema=None) as batch_op:
        batch_op.drop_index("ix_overrides_rule_id_start_at")
        batch_op.drop_index(batch_op.f("ix_overrides_person_id"))

    op.drop_table("overrides")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_state_scheduled_at")

    op.drop_table("notifications")
    with op.batch_alter_table("incident_events", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_events_incident_id_at")

    op.drop_table("incident_events")
    with op.batch_alter_table("incident_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_alerts_integration_id_group_key")

    op.drop_table("incident_alerts")
    op.drop_table("escalation_levels")
    op.drop_table("teams")
    op.drop_table("settings")
    op.drop_table("rules")
    op.drop_table("people")
    op.drop_table("integrations")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_status_created_at")
        batch_op.drop_index("ix_incidents_integration_id_dedup_key")

    op.drop_table("incidents")
    op.drop_table("engine_lease")
    op.drop_table("config_state")

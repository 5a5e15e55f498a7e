"""Reach (SPEC §13): maintenance windows, heartbeats, and who has chat.

`maintenance_windows` holds the configured windows (bounds wall-clock plus an optional UTC offset,
like a rule's effective span); an incident records the window that held it and until when.
`heartbeats` is each integration's last beat and the incident its lapse opened; `people.chat` says
a person has chat URLs in the keyring (the URLs themselves never enter the database);
`integrations.heartbeat_seconds` is the timeout.

Columns are added and dropped with SQLite's own `ALTER TABLE` (as in 0007), not by batch mode, which
would copy `people` and drop the old table: with foreign keys on, that fails while anything refers to
a person.

Revision ID: 0009_reach
Revises: 0008_planning
Create Date: 2026-12-02 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009_reach"
down_revision: str | None = "0008_planning"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("start_offset", sa.Integer(), nullable=True),
        sa.Column("end_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("end_offset", sa.Integer(), nullable=True),
        sa.Column("match_mode", sa.String(length=8), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_windows")),
    )
    op.create_table(
        "heartbeats",
        sa.Column("integration_id", sa.String(length=100), nullable=False),
        sa.Column("last_beat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("armed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lapsed_incident_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_heartbeats_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("integration_id", name=op.f("pk_heartbeats")),
    )
    op.add_column("incidents", sa.Column("maintenance", sa.String(length=200), nullable=True))
    op.add_column("incidents", sa.Column("held_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("integrations", sa.Column("heartbeat_seconds", sa.Integer(), nullable=True))
    op.add_column("people", sa.Column("chat", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    op.drop_column("people", "chat")
    op.drop_column("integrations", "heartbeat_seconds")
    op.drop_column("incidents", "held_until")
    op.drop_column("incidents", "maintenance")
    op.drop_table("heartbeats")
    op.drop_table("maintenance_windows")

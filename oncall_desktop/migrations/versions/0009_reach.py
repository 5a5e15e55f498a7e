"""Reach (SPEC §13): maintenance windows, heartbeats, and who has chat.

`maintenance_windows` holds the configured windows (bounds wall-clock plus an optional UTC offset,
like a rule's effective span); an incident records the window that held it and until when.
`heartbeats` is each integration's last beat and the incident its lapse opened; `people.chat` says
a person has chat URLs in the keyring (the URLs themselves never enter the database);
`integrations.heartbeat_seconds` is the timeout.

Revision ID: 0009_reach
Revises: 0007_layers
Create Date: 2026-12-02 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009_reach"
down_revision: str | None = "0007_layers"
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
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("maintenance", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("held_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("heartbeat_seconds", sa.Integer(), nullable=True))
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chat", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("chat")
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_seconds")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("held_until")
        batch_op.drop_column("maintenance")
    op.drop_table("heartbeats")
    op.drop_table("maintenance_windows")

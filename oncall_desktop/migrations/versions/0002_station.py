"""Paging station: per-incident escalation state and per-notification dispatch state.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "escalation_states",
        sa.Column("incident_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("planned_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_escalation_states_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_escalation_states")),
    )
    with op.batch_alter_table("escalation_states", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_escalation_states_next_due_at"), ["next_due_at"], unique=False)
    op.create_table(
        "notification_dispatches",
        sa.Column("notification_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_notification_dispatches_notification_id_notifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("notification_id", name=op.f("pk_notification_dispatches")),
    )


def downgrade() -> None:
    op.drop_table("notification_dispatches")
    with op.batch_alter_table("escalation_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalation_states_next_due_at"))
    op.drop_table("escalation_states")

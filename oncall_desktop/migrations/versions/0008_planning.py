"""Planning around people (SPEC §12): time off, each person's public-holiday calendar, swap requests,
handoff reminders (a rule's settings and the reminders outbox).

`people.holidays` is dropped with SQLite's own `ALTER TABLE … DROP COLUMN`, not batch mode (which
would copy and drop `people`, and with foreign keys on that drop cascades), as 0007 does.

Revision ID: 0008_planning
Revises: 0007_layers
Create Date: 2026-12-02 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008_planning"
down_revision: str | None = "0007_layers"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("people", sa.Column("holidays", sa.String(length=16), nullable=True))
    op.create_table(
        "time_off",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.String(length=100), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_time_off_person_id_people"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_off")),
    )
    op.create_index(op.f("ix_time_off_person_id"), "time_off", ["person_id"], unique=False)
    op.create_table(
        "swap_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("requester_id", sa.String(length=100), nullable=False),
        sa.Column("colleague_id", sa.String(length=100), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("override_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_swap_requests")),
    )
    op.create_index(op.f("ix_swap_requests_requester_id"), "swap_requests", ["requester_id"], unique=False)
    op.create_index(op.f("ix_swap_requests_colleague_id"), "swap_requests", ["colleague_id"], unique=False)
    op.add_column("rules", sa.Column("reminder_minutes", sa.Integer(), nullable=True))
    op.add_column("rules", sa.Column("reminder_channels", sa.JSON(), nullable=True))
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("person_id", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=True),
        sa.Column("shift_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claim_epoch", sa.Integer(), nullable=True),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider_id", sa.String(length=200), nullable=True),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("possibly_repeated", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
        sa.UniqueConstraint(
            "rule_id",
            "person_id",
            "channel",
            "shift_start",
            name=op.f("uq_reminders_rule_id_person_id_channel_shift_start"),
        ),
    )
    op.create_index("ix_reminders_state_scheduled_at", "reminders", ["state", "scheduled_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_reminders_state_scheduled_at", table_name="reminders")
    op.drop_table("reminders")
    op.drop_column("rules", "reminder_channels")
    op.drop_column("rules", "reminder_minutes")
    op.drop_index(op.f("ix_swap_requests_colleague_id"), table_name="swap_requests")
    op.drop_index(op.f("ix_swap_requests_requester_id"), table_name="swap_requests")
    op.drop_table("swap_requests")
    op.drop_index(op.f("ix_time_off_person_id"), table_name="time_off")
    op.drop_table("time_off")
    op.drop_column("people", "holidays")

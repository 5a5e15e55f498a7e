"""Real notifications: SMS reply codes, processed inbound SMS, acknowledge links, bundled SMS.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "sms_reply_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_sms_reply_codes_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_reply_codes")),
        sa.UniqueConstraint("phone", "incident_id", name=op.f("uq_sms_reply_codes_phone_incident_id")),
    )
    with op.batch_alter_table("sms_reply_codes", schema=None) as batch_op:
        batch_op.create_index("ix_sms_reply_codes_phone_code", ["phone", "code"], unique=False)
    op.create_table(
        "sms_replies",
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("from_number", sa.String(length=32), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_sms_replies")),
    )
    with op.batch_alter_table("sms_replies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_replies_sent_at"), ["sent_at"], unique=False)
    op.create_table(
        "ack_links",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_ack_links_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_ack_links")),
        sa.UniqueConstraint("incident_id", "person_id", name=op.f("uq_ack_links_incident_id_person_id")),
    )
    op.create_table(
        "sms_bundled",
        sa.Column("notification_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("provider_id", sa.String(length=200), nullable=False),
        sa.Column("bundled_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_sms_bundled_notification_id_notifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("notification_id", name=op.f("pk_sms_bundled")),
    )


def downgrade() -> None:
    op.drop_table("sms_bundled")
    op.drop_table("ack_links")
    with op.batch_alter_table("sms_replies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_replies_sent_at"))
    op.drop_table("sms_replies")
    with op.batch_alter_table("sms_reply_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_sms_reply_codes_phone_code")
    op.drop_table("sms_reply_codes")

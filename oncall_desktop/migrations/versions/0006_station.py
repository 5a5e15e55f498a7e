"""Exactly-once delivery and team mode (SPEC §9, §10): the lease's fencing epoch and last tick, the
stations sharing the store, per-notification claims, unpaged incidents, one open incident per alert
group (a unique index), unplannable incidents, the lease length setting. Bundled SMS are now the
notifications that share a claim group.

Revision ID: 0006_station
Revises: 0005_edges
Create Date: 2026-12-01 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006_station"
down_revision: str | None = "0005_edges"
branch_labels: str | None = None
depends_on: str | None = None

OPEN_GROUP = sa.text("status <> 'resolved'")


def _close_duplicate_open_groups() -> None:
    """Before the unique index: of several unresolved incidents of one group (stations racing before
    this revision), keep the oldest and resolve the others, saying so on their timelines."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, integration_id, dedup_key FROM incidents "
            "WHERE status <> 'resolved' AND dedup_key IS NOT NULL ORDER BY id"
        )
    ).all()
    kept: dict[tuple[str | None, str], int] = {}
    now = bind.execute(sa.text("SELECT CURRENT_TIMESTAMP")).scalar()
    for incident_id, integration_id, key in rows:
        first = kept.setdefault((integration_id, key), incident_id)
        if first == incident_id:
            continue
        bind.execute(
            sa.text("UPDATE incidents SET status = 'resolved', resolved_at = :now WHERE id = :id"),
            {"now": now, "id": incident_id},
        )
        bind.execute(
            sa.text(
                "INSERT INTO incident_events (incident_id, at, kind, actor, message, data) "
                "VALUES (:id, :now, 'resolved', NULL, :message, '{}')"
            ),
            {"id": incident_id, "now": now, "message": f"resolved as a duplicate of #{first} (upgrade)"},
        )
        bind.execute(sa.text("DELETE FROM escalation_states WHERE incident_id = :id"), {"id": incident_id})


def upgrade() -> None:
    with op.batch_alter_table("engine_lease", schema=None) as batch_op:
        batch_op.add_column(sa.Column("epoch", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("last_tick", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column("holder", existing_type=sa.String(length=200), nullable=True)
        batch_op.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=True)
    op.execute("UPDATE engine_lease SET epoch = 1")
    op.create_table(
        "stations",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("clock", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stations")),
    )
    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stations_last_seen"), ["last_seen"], unique=False)
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim_epoch", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("claim_group", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("message_id", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("possibly_repeated", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.drop_table("sms_bundled")
    _close_duplicate_open_groups()
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paged", sa.Boolean(), nullable=True))
        batch_op.create_index(
            "uq_incidents_open_group",
            ["integration_id", "dedup_key"],
            unique=True,
            sqlite_where=OPEN_GROUP,
            postgresql_where=OPEN_GROUP,
        )
    with op.batch_alter_table("escalation_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("problem", sa.Text(), nullable=True))
    with op.batch_alter_table("settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("station_lease_seconds", sa.Integer(), server_default="15", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("settings", schema=None) as batch_op:
        batch_op.drop_column("station_lease_seconds")
    with op.batch_alter_table("escalation_states", schema=None) as batch_op:
        batch_op.drop_column("problem")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("uq_incidents_open_group")
        batch_op.drop_column("paged")
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
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        for column in ("possibly_repeated", "message_id", "claim_group", "claimed_at", "claimed_by"):
            batch_op.drop_column(column)
        batch_op.drop_column("claim_epoch")
    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stations_last_seen"))
    op.drop_table("stations")
    op.execute("DELETE FROM engine_lease WHERE holder IS NULL")
    with op.batch_alter_table("engine_lease", schema=None) as batch_op:
        batch_op.drop_column("last_tick")
        batch_op.drop_column("epoch")
        batch_op.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column("holder", existing_type=sa.String(length=200), nullable=False)

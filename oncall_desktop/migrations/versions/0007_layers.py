"""Layered schedules (SPEC §8): a rule's personnel and rotation move into its layers.

Every existing rule becomes a rule of one plain layer (no name, zone, windows or span of its own)
with the rule's personnel, in order, and its rotation: the schedule it makes is the same.

Columns are dropped with SQLite's own `ALTER TABLE … DROP COLUMN` (SQLite 3.35 and later), not by
batch mode: batch mode copies the table and drops the old one, and with foreign keys on, dropping
`rules` would cascade into its windows, conditions, ladders and overrides.

Revision ID: 0007_layers
Revises: 0006_station
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007_layers"
down_revision: str | None = "0006_station"
branch_labels: str | None = None
depends_on: str | None = None

_ROTATION_COLUMNS = ("rotation_period", "rotation_every", "rotation_handoff", "rotation_anchor")


def _rotation_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("rotation_period", sa.String(length=16), nullable=True),
        sa.Column("rotation_every", sa.Integer(), nullable=True),
        sa.Column("rotation_handoff", sa.Time(), nullable=True),
        sa.Column("rotation_anchor", sa.Date(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "rule_layers",
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("effective_start", sa.DateTime(timezone=False), nullable=True),
        sa.Column("effective_start_offset", sa.Integer(), nullable=True),
        sa.Column("effective_end", sa.DateTime(timezone=False), nullable=True),
        sa.Column("effective_end_offset", sa.Integer(), nullable=True),
        *_rotation_columns(),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["rules.id"], name=op.f("fk_rule_layers_rule_id_rules"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("rule_id", "position", name=op.f("pk_rule_layers")),
    )
    op.create_table(
        "layer_personnel",
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("layer", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=100), nullable=True),
        sa.Column("team_id", sa.String(length=100), nullable=True),
        sa.CheckConstraint(
            "(person_id IS NULL) <> (team_id IS NULL)", name=op.f("ck_layer_personnel_person_xor_team")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_layer_personnel_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["rule_id", "layer"],
            ["rule_layers.rule_id", "rule_layers.position"],
            name=op.f("fk_layer_personnel_rule_id_layer_rule_layers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_layer_personnel_team_id_teams")),
        sa.PrimaryKeyConstraint("rule_id", "layer", "position", name=op.f("pk_layer_personnel")),
    )
    op.create_index(op.f("ix_layer_personnel_person_id"), "layer_personnel", ["person_id"], unique=False)
    op.create_index(op.f("ix_layer_personnel_team_id"), "layer_personnel", ["team_id"], unique=False)
    op.create_table(
        "layer_windows",
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("layer", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("days", sa.JSON(), nullable=False),
        sa.Column("start", sa.Time(), nullable=False),
        sa.Column("end", sa.Time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id", "layer"],
            ["rule_layers.rule_id", "rule_layers.position"],
            name=op.f("fk_layer_windows_rule_id_layer_rule_layers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rule_id", "layer", "position", name=op.f("pk_layer_windows")),
    )
    op.add_column("rules", sa.Column("combine", sa.String(length=8), nullable=False, server_default="first"))
    op.execute(
        "INSERT INTO rule_layers (rule_id, position, name, rotation_period, rotation_every, "
        "rotation_handoff, rotation_anchor) "
        "SELECT id, 0, '', rotation_period, rotation_every, rotation_handoff, rotation_anchor FROM rules"
    )
    op.execute(
        "INSERT INTO layer_personnel (rule_id, layer, position, person_id, team_id) "
        "SELECT rule_id, 0, position, person_id, team_id FROM rule_personnel"
    )
    op.drop_index(op.f("ix_rule_personnel_person_id"), table_name="rule_personnel")
    op.drop_index(op.f("ix_rule_personnel_team_id"), table_name="rule_personnel")
    op.drop_table("rule_personnel")
    for column in _ROTATION_COLUMNS:
        op.drop_column("rules", column)


def downgrade() -> None:
    """Back to one personnel list and rotation per rule; refused when a rule has more than that."""
    bind = op.get_bind()
    layered = bind.execute(
        sa.text(
            "SELECT rule_id FROM rule_layers WHERE position > 0 OR name <> '' OR timezone IS NOT NULL "
            "OR effective_start IS NOT NULL OR effective_end IS NOT NULL "
            "UNION SELECT rule_id FROM layer_windows ORDER BY rule_id"
        )
    ).scalars()
    refused = list(layered)
    if refused:
        raise RuntimeError(
            "cannot downgrade below 0007_layers: these rules have layers that version cannot hold: "
            + ", ".join(refused)
        )
    combined = bind.execute(sa.text("SELECT id FROM rules WHERE combine <> 'first' ORDER BY id")).scalars()
    refused = list(combined)
    if refused:
        raise RuntimeError(f"cannot downgrade below 0007_layers: rules combined 'all': {', '.join(refused)}")
    for column in _rotation_columns():
        op.add_column("rules", column)
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
    op.create_index(op.f("ix_rule_personnel_person_id"), "rule_personnel", ["person_id"], unique=False)
    op.create_index(op.f("ix_rule_personnel_team_id"), "rule_personnel", ["team_id"], unique=False)
    op.execute(
        "INSERT INTO rule_personnel (rule_id, position, person_id, team_id) "
        "SELECT rule_id, position, person_id, team_id FROM layer_personnel"
    )
    for name in _ROTATION_COLUMNS:
        op.execute(
            f"UPDATE rules SET {name} = (SELECT {name} FROM rule_layers "
            "WHERE rule_layers.rule_id = rules.id AND rule_layers.position = 0)"
        )
    op.drop_table("layer_windows")
    op.drop_index(op.f("ix_layer_personnel_team_id"), table_name="layer_personnel")
    op.drop_index(op.f("ix_layer_personnel_person_id"), table_name="layer_personnel")
    op.drop_table("layer_personnel")
    op.drop_table("rule_layers")
    op.drop_column("rules", "combine")

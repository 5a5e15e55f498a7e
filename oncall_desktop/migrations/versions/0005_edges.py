"""Every person has a stored colour: people stored without one get a distinct palette colour, in
roster order, so the calendar no longer derives colours that shift when someone is added.

Revision ID: 0005_edges
Revises: 0004
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from oncall_desktop.person_colours import next_colour

revision: str = "0005_edges"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    people = sa.table(
        "people",
        sa.column("id", sa.String),
        sa.column("position", sa.Integer),
        sa.column("colour", sa.String),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(people.c.id, people.c.colour).order_by(people.c.position, people.c.id))
    found = list(rows)
    taken = [colour for _id, colour in found if colour]
    for person_id, colour in found:
        if not colour:
            chosen = next_colour(taken)
            taken.append(chosen)
            bind.execute(people.update().where(people.c.id == person_id).values(colour=chosen))


def downgrade() -> None:
    """The colours stay: a stored colour is valid at every revision."""

"""The inbox keyed by (sender, message id) instead of by message id alone.

Message ids are chosen by their sender. Keyed by the id alone, a partner that presented
another partner's message id was answered with the reply stored for that other partner (a
receipt signed for someone else), and could pre-empt a message not yet delivered. Keyed by
(sender, id), each partner's ids are its own.

A database that revision 0001 made from the table definitions of its day (before the
revision was frozen) already has the new key and is left alone.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_COLUMNS = ("id", "sender", "kind", "received_at", "reply")


def _key() -> list[str]:
    found = sa.inspect(op.get_bind()).get_pk_constraint("inbox")["constrained_columns"]
    return list(found)


def _rebuild(*constraints: sa.schema.SchemaItem) -> None:
    """Copy ``inbox`` into a table of the same columns under ``constraints``, then put the
    copy in its place (one transaction: the migration's)."""
    bind = op.get_bind()
    copy = sa.Table(
        "inbox_rebuilt",
        sa.MetaData(),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("sender", sa.String(3), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reply", sa.LargeBinary, nullable=False),
        *constraints,
    )
    copy.create(bind)
    old = sa.table("inbox", *(sa.column(name) for name in _COLUMNS))
    bind.execute(copy.insert().from_select(list(_COLUMNS), sa.select(*old.columns)))
    op.drop_table("inbox")
    op.rename_table("inbox_rebuilt", "inbox")
    _take_names(bind)


def _take_names(bind: sa.Connection) -> None:
    """On PostgreSQL the copy's key and unique constraints keep the copy's name; give them
    the names an ``inbox`` table made afresh has."""
    if bind.dialect.name != "postgresql":
        return
    inspector = sa.inspect(bind)
    found = [inspector.get_pk_constraint("inbox")["name"]]
    found += [unique["name"] for unique in inspector.get_unique_constraints("inbox")]
    for name in found:
        if name and name.startswith("inbox_rebuilt_"):
            new = name.replace("inbox_rebuilt_", "inbox_", 1)
            op.execute(f"ALTER TABLE inbox RENAME CONSTRAINT {name} TO {new}")


def upgrade() -> None:
    if sorted(_key()) != ["id", "sender"]:
        _rebuild(sa.PrimaryKeyConstraint("sender", "id"))


def downgrade() -> None:
    if _key() != ["id"]:
        _rebuild(sa.PrimaryKeyConstraint("id"))

"""Labels keyed by item and revision instead of by digest.

A label's digest is a hash: keyed by it, every new label landed at a random place in the
index, and a transfer of a thousand items rewrote about a thousand index pages once the
store held a few hundred thousand labels. Keyed by (item id, revision), with time-ordered
item ids, new labels land together at the index's right-hand edge. No query looks a label
up by its digest; the digest stays a column.

A database made by revision 0001 as first released has the old key and is rebuilt here; one
that revision 0001 made from the table definitions of its day (before the revision was
frozen) already has the new key and is left alone.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_COLUMNS = ("digest", "item_id", "revision", "label", "recorded_at")


def _key() -> list[str]:
    found = sa.inspect(op.get_bind()).get_pk_constraint("labels")["constrained_columns"]
    return list(found)


def _rebuild(*constraints: sa.schema.SchemaItem) -> None:
    """Copy ``labels`` into a table of the same columns under ``constraints``, then put the
    copy in its place (one transaction: the migration's)."""
    bind = op.get_bind()
    copy = sa.Table(
        "labels_rebuilt",
        sa.MetaData(),
        sa.Column("digest", sa.String(71), nullable=False),
        sa.Column("item_id", sa.String(32), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("label", sa.LargeBinary, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        *constraints,
    )
    copy.create(bind)
    old = sa.table("labels", *(sa.column(name) for name in _COLUMNS))
    bind.execute(copy.insert().from_select(list(_COLUMNS), sa.select(*old.columns)))
    op.drop_table("labels")
    op.rename_table("labels_rebuilt", "labels")
    _take_names(bind)


def _take_names(bind: sa.Connection) -> None:
    """On PostgreSQL the copy's key and unique constraints keep the copy's name; give them
    the names a ``labels`` table made afresh has."""
    if bind.dialect.name != "postgresql":
        return
    inspector = sa.inspect(bind)
    found = [inspector.get_pk_constraint("labels")["name"]]
    found += [unique["name"] for unique in inspector.get_unique_constraints("labels")]
    for name in found:
        if name and name.startswith("labels_rebuilt_"):
            new = name.replace("labels_rebuilt_", "labels_", 1)
            op.execute(f"ALTER TABLE labels RENAME CONSTRAINT {name} TO {new}")


def upgrade() -> None:
    if _key() != ["item_id", "revision"]:
        _rebuild(sa.PrimaryKeyConstraint("item_id", "revision"))


def downgrade() -> None:
    if _key() != ["digest"]:
        _rebuild(sa.PrimaryKeyConstraint("digest"), sa.UniqueConstraint("item_id", "revision"))

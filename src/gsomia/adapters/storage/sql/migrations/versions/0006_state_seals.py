"""Sealed rows and the state journal (state-v1, gsomia.ports.state).

The registry, items, label versions and workflow records get a ``seal`` column, and the new
``state_journal`` table lists every sealed write. Rows stored before this revision have no
seal: the node seals them once, when its keyring first gets a state key (the store is
trusted as it stands at that moment, so run ``gsomia audit verify`` before upgrading).

A database that revision 0001 made from the table definitions of its day (before the
revision was frozen) already has both and is left alone.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_SEALED = ("facilities", "persons", "registrations", "items", "labels", "records")


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    for table in _SEALED:
        if "seal" not in {c["name"] for c in inspector.get_columns(table)}:
            op.add_column(table, sa.Column("seal", sa.LargeBinary, nullable=True))
    if inspector.has_table("state_journal"):
        return
    op.create_table(
        "state_journal",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("entry", sa.BigInteger, nullable=False),
        sa.Column("tbl", sa.String(16), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("seal", sa.LargeBinary),
    )
    op.create_index("ix_state_journal_row", "state_journal", ["tbl", "key", "version", "seq"])
    op.create_index("ix_state_journal_entry", "state_journal", ["entry", "seq"])


def downgrade() -> None:
    op.drop_table("state_journal")
    for table in _SEALED:
        op.drop_column(table, "seal")

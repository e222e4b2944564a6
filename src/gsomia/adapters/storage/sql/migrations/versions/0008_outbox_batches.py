"""Batched transfers: the outbox names the batch a queued transfer was joined into.

A database that revision 0001 made from the table definitions of its day (before the
revision was frozen) has the column already and is left alone.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("outbox")}
    if "batch" in columns:
        return
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("batch", sa.String(64), nullable=True))
        batch.create_index("ix_outbox_batch", ["batch"])


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_batch")
        batch.drop_column("batch")

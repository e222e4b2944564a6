"""Token buckets of the request limits in the database, shared by a node's workers.

A database that revision 0001 made from the current table definitions has the table
already and is left alone.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gsomia.adapters.storage.sql.tables import rate_buckets

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if not sa.inspect(op.get_bind()).has_table("rate_buckets"):
        rate_buckets.create(op.get_bind())


def downgrade() -> None:
    op.drop_table("rate_buckets")

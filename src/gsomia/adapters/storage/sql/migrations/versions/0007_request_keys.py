"""Idempotency keys of creating requests (``Idempotency-Key``), with the answers given.

A database that revision 0001 made from the current table definitions has the table
already and is left alone.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gsomia.adapters.storage.sql.tables import request_keys

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if not sa.inspect(op.get_bind()).has_table("request_keys"):
        request_keys.create(op.get_bind())


def downgrade() -> None:
    op.drop_table("request_keys")

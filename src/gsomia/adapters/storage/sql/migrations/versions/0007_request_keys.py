"""Idempotency keys of creating requests (``Idempotency-Key``), with the answers given.

A database that revision 0001 made from the table definitions of its day (before the
revision was frozen) has the table already and is left alone.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("request_keys"):
        return
    op.create_table(
        "request_keys",
        sa.Column("scope", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Integer),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("answer", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_request_keys_created", "request_keys", ["created_at"])


def downgrade() -> None:
    op.drop_table("request_keys")

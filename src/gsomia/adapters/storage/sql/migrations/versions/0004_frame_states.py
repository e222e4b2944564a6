"""Frame streams' counters and floors (frame-v1), kept across restarts.

A sender records the sequence numbers it has reserved and a receiver the floor of its
replay window, so that after a restart no nonce is used twice and no frame is accepted
twice. A database that revision 0001 made from the table definitions of its day (before the
revision was frozen) already has the table and is left alone.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("frame_states"):
        return
    op.create_table(
        "frame_states",
        sa.Column("role", sa.String(8), primary_key=True),
        sa.Column("stream", sa.String(80), primary_key=True),
        sa.Column("item_id", sa.String(32)),
        sa.Column("epoch", sa.BigInteger, nullable=False),
        sa.Column("value", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("frame_states")

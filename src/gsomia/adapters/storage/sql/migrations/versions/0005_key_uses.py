"""How many data keys each at-rest key has wrapped (its nonce budget).

Item-key records use random 96-bit nonces, so one at-rest key may wrap at most 2**32 data
keys (NIST SP 800-38D §8.3); the store counts them and refuses past the budget, and the
node rotates its at-rest key well before. A database that revision 0001 made from the table
definitions of its day (before the revision was frozen) already has the table and is left
alone.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("key_uses"):
        return
    op.create_table(
        "key_uses",
        sa.Column("key_id", sa.LargeBinary, primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
    )
    # Records already kept count against their key.
    op.execute(
        "INSERT INTO key_uses (key_id, count) SELECT key_id, COUNT(*) FROM item_keys "
        "WHERE record IS NOT NULL GROUP BY key_id"
    )


def downgrade() -> None:
    op.drop_table("key_uses")

"""The ledger's tables (``ledger_`` prefix) in the node's database, made by Alembic.

Before this revision the ledger made its own tables when the store opened; a database made
then already has them and is left alone. Downgrading leaves them too: the code of revision
0009 expects them, and they hold the ledger.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_PREFIX = "ledger_"


def _origin() -> sa.Column[str]:
    return sa.Column("origin", sa.String(255), primary_key=True)


def _blob(name: str) -> sa.Column[bytes]:
    return sa.Column(name, sa.LargeBinary, nullable=False)


def _big(name: str, *, key: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger, primary_key=key, nullable=False, autoincrement=False)


def _text(name: str, size: int | None = None, *, key: bool = False) -> sa.Column[str]:
    kind = sa.Text() if size is None else sa.String(size)
    return sa.Column(name, kind, primary_key=key, nullable=False)


def _tables() -> dict[str, list[sa.Column[Any]]]:
    level = sa.Column("level", sa.Integer, primary_key=True, autoincrement=False)
    alarm_id = sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)
    return {
        "logs": [_origin(), _big("size"), _big("integrated"), _blob("compact")],
        "runs": [
            _origin(),
            _big("start", key=True),
            _big("count"),
            _blob("entries"),
            _blob("hashes"),
        ],
        "tiles": [_origin(), level, _big("start", key=True), _blob("data")],
        "keys": [_origin(), _text("key", 128, key=True), _big("seq", key=True)],
        "checkpoints": [_origin(), _big("size", key=True), _text("note"), _text("at", 32)],
        "cosignatures": [
            _origin(),
            _big("size", key=True),
            _text("cosigner", 255, key=True),
            _text("line"),
        ],
        "witnessed": [
            _origin(),
            _big("size"),
            _blob("root"),
            _text("note"),
            _text("at", 32),
        ],
        "witness_log": [_origin(), _big("size", key=True), _text("note"), _text("at", 32)],
        "alarms": [
            alarm_id,
            _text("at", 32),
            _text("origin", 255),
            _text("finding", 32),
            _text("message"),
            _text("evidence"),
        ],
    }


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    for name, columns in _tables().items():
        if not inspector.has_table(f"{_PREFIX}{name}"):
            op.create_table(f"{_PREFIX}{name}", *columns)


def downgrade() -> None:
    """Nothing: the tables stay with the ledger they hold (see the module's note)."""

"""The node's seal on its own store (design rule 12: decide from what was signed).

:class:`NodeSeals` is what the store is given (:mod:`gsomia.ports.state`): each row the
rules read is sealed under the keyring's state key (state-v1, :func:`gsomia.crypto.seal_row`)
and checked on every read; each unit of work's sealed writes are accounted for by one
``state.recorded`` ledger entry; and a row found tampered with raises an alarm that the
console and ``gsomia audit alarms`` show.

:func:`seal_store` seals every row as it stands: once, when a keyring first gets a state key
(a store kept before state-v1 is trusted as it is at that moment), and after the state key is
rotated (each row is checked under the old key before it is sealed under the new one).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from gsomia.crypto import check_row, seal_row, seal_rows
from gsomia.errors import StateTampered
from gsomia.ledger.entries import Actor, Event, LedgerEntry
from gsomia.ports.ledger import AlarmRecord
from gsomia.ports.state import SEALED_TABLES, StateWrite, journal_digest
from gsomia.services.plumbing.context import SYSTEM_ACTOR, NodeContext

__all__ = ["TAMPERED", "NodeSeals", "seal_store"]

_logger = logging.getLogger(__name__)

#: The finding of an alarm about the node's own store.
TAMPERED = "state-tampered"
_RESEAL_CHUNK = 500


class NodeSeals:
    """The store's :class:`~gsomia.ports.state.StateSeals`, under the node's keyring."""

    def __init__(self, ctx: NodeContext) -> None:
        self.ctx = ctx

    def seal(self, table: str, key: str, version: int, values: Sequence[object]) -> bytes:
        return seal_row(
            keyring=self.ctx.keyring, table=table, key=key, version=version, values=values
        )

    def seal_many(
        self, table: str, rows: Sequence[tuple[str, int, Sequence[object]]]
    ) -> list[bytes]:
        return seal_rows(keyring=self.ctx.keyring, table=table, rows=rows)

    def check(
        self, table: str, key: str, version: int, values: Sequence[object], seal: bytes | None
    ) -> None:
        check_row(
            keyring=self.ctx.keyring,
            table=table,
            key=key,
            version=version,
            values=values,
            seal=seal,
        )

    def account(self, writes: Sequence[StateWrite]) -> bytes:
        """The ``state.recorded`` entry of one unit of work: the digest and number of its
        journal rows, under the node's first agreement (by id)."""
        entry = LedgerEntry(
            agreement_id=home_agreement(self.ctx),
            event=Event.STATE_RECORDED,
            actor=Actor(party=self.ctx.party, person=SYSTEM_ACTOR),
            at=self.ctx.clock.now(),
            details={"record": journal_digest(writes), "count": str(len(writes))},
        )
        return entry.to_bytes()

    def alarm(self, error: StateTampered) -> None:
        """Persist an alarm naming the row; a person must look (docs/operations.md)."""
        _logger.error("store row tampered with: %s", error)
        self.ctx.store.ledger.add_alarm(
            AlarmRecord(
                raised_at=self.ctx.clock.now(),
                origin=self.ctx.store.ledger.origin,
                finding=TAMPERED,
                message=f"{error}: the node refused the act that read it",
                evidence=json.dumps(
                    {"table": error.table, "row": error.key, "finding": error.finding},
                    sort_keys=True,
                ),
            )
        )


def home_agreement(ctx: NodeContext) -> str:
    """The agreement the node's own housekeeping is recorded under: the first, by id, of
    the agreement files its party belongs to."""
    mine = sorted(a.id for a in ctx.files if ctx.party in a.party_codes)
    return mine[0] if mine else min(a.id for a in ctx.files)


def seal_store(ctx: NodeContext, *, trust: bool) -> int:
    """Seal every sealed table's rows again under the newest state key, a chunk per unit of
    work; how many rows. Each row is checked first unless ``trust`` and it has no seal yet
    (a store kept before state-v1). Raises :class:`StateTampered` for a row that fails."""
    done = 0
    for table in SEALED_TABLES:
        after: tuple[str, int] = ("", -1)
        while True:
            with ctx.store.unit_of_work() as uow:
                last = uow.reseal_rows(table, after=after, limit=_RESEAL_CHUNK, trust=trust)
            if last is None:
                break
            after = last
            done += _RESEAL_CHUNK
    _logger.info("sealed the store's rows under the newest state key")
    return done

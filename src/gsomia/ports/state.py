"""Authenticated state: how a store seals the rows decisions read and accounts for them.

A row that nobody signed is a cache. The registry (facilities, persons, registrations),
items, label versions and workflow records (authority grants, tokens, consents, notes...)
are what the rules decide from, so a store given :class:`StateSeals` (``Store.seal_with``):

* **seals** every such row it writes (``StateSeals.seal``, state-v1 under the node's state
  key) and **checks** every such row it reads (``StateSeals.check``). A row whose seal does
  not match raises :class:`~gsomia.errors.StateTampered` naming the table and the row, after
  the transaction has ended, and the store reports it (``StateSeals.alarm``) so that a
  person sees it;
* **journals** every sealed write (table, key, version, seal; a deletion with no seal) and,
  in the same transaction, appends one ledger entry that accounts for the unit of work's
  journal rows by digest (``StateSeals.account``). The ledger's signed, witnessed
  checkpoints then vouch for the journal, and the journal for the rows: a row deleted or
  rolled back to an older sealed version no longer matches the journal's latest seal for it;
* offers the **walks** an audit needs (``journal``, ``journal_latest``, ``sealed_rows``) and
  the check a decision needs that a row is the newest the journal knows (``fresh``).

Tables and keys (state-v1 names them in every seal)::

    facilities      <facility id>                    version 0
    persons         <person id>                      version 0
    registrations   <person id>/<facility id>        version 0
    items           <item id>                        version 0
    labels          <item id>                        version = revision
    records         <kind>/<record id>               version = record version
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from gsomia.errors import StateTampered

__all__ = [
    "SEALED_TABLES",
    "JournalRow",
    "SealedRow",
    "StateSeals",
    "StateWrite",
    "journal_digest",
]

#: Every table whose rows are sealed and journaled, in the order an audit walks them.
SEALED_TABLES = ("facilities", "persons", "registrations", "items", "labels", "records")


@dataclass(frozen=True, slots=True, kw_only=True)
class StateWrite:
    """One sealed row written in a unit of work, or deleted (``seal`` is ``None``)."""

    table: str
    key: str
    version: int
    seal: bytes | None


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalRow:
    """A journaled write, with its place in the journal and the ledger entry that accounts
    for it."""

    seq: int
    entry: int
    table: str
    key: str
    version: int
    seal: bytes | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SealedRow:
    """A stored row as an audit sees it: its key, version and seal, and whether the seal
    matches the row's values (``intact``)."""

    table: str
    key: str
    version: int
    seal: bytes | None
    intact: bool


def journal_digest(rows: Sequence[StateWrite | JournalRow]) -> str:
    """The digest one ledger entry accounts for a unit of work's journal rows by: SHA-256
    over one line per row, in journal order, ``table TAB key TAB version TAB seal-hex LF``
    (an empty seal for a deletion)."""
    h = hashlib.sha256()
    for r in rows:
        h.update(f"{r.table}\t{r.key}\t{r.version}\t{(r.seal or b'').hex()}\n".encode())
    return "sha256:" + h.hexdigest()


class StateSeals(Protocol):
    """The node's seal on its store's rows, and its account of them in the ledger.

    ``seal`` and ``check`` MUST be deterministic in (table, key, version, values) and the
    keys held; ``seal_many`` MUST give, in order, what ``seal`` gives for each of its rows
    (key, version, values), and raise as ``seal`` does; ``check`` raises
    :class:`~gsomia.errors.IntegrityError` for a missing or wrong seal. ``account`` returns
    the bytes of one ledger entry for a unit of work's writes. ``alarm`` records an alarm
    durably and is called outside any transaction.
    """

    def seal(self, table: str, key: str, version: int, values: Sequence[object]) -> bytes: ...

    def seal_many(
        self, table: str, rows: Sequence[tuple[str, int, Sequence[object]]]
    ) -> list[bytes]: ...

    def check(
        self, table: str, key: str, version: int, values: Sequence[object], seal: bytes | None
    ) -> None: ...

    def account(self, writes: Sequence[StateWrite]) -> bytes: ...

    def alarm(self, error: StateTampered) -> None: ...

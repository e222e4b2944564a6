"""The ledger's storage: an append-only log of entries with its Merkle tiles, the signed
checkpoints and their cosignatures, and the witness state kept for partners' logs.

The log follows Tessera's lifecycle: an entry is *sequenced* when ``append_batch`` commits
it (it has its index and its leaf hash for good), *integrated* when ``integrate`` has folded
it into the stored tree tiles, and *published* when a signed checkpoint covers it.

Contract for every adapter (memory, SQLite and PostgreSQL pass
``tests/conformance/test_ledger_store.py``):

* **Durability.** ``append_batch`` MUST NOT return before its entries are committed: after
  it returns, every reader in any process sees them at the returned indices, and they
  survive a crash of the process. ``add_checkpoint`` MUST NOT return before the checkpoint
  and every entry it covers survive a power failure. (The SQLite adapter gives appends that
  too, unless opened with ``synchronous="NORMAL"``, where they are synced within a second.)
  When given a caller's transaction (the SQL adapter's ``conn=``), the entries commit with
  it instead.
* **Atomicity.** A batch is one transaction: all of its entries are appended, or none.
* **One sequencer per log.** Concurrent appends to one log are serialised (SQLite's write
  lock, a PostgreSQL advisory lock); indices are dense, start at 0 and never change.
* **Append-only.** Nothing is ever updated or deleted: stored entries, hashes,
  checkpoints and cosignatures are facts. A store MUST NOT offer a way to change them.
* **Retries.** ``append_batch`` is not idempotent by itself: a retried batch is appended
  again. A caller that cannot tell whether a failed call committed passes
  ``expect_size`` (the size it saw before): the append then raises
  :class:`~gsomia.errors.ConflictError` instead of appending twice.
* **Reads raise.** An index or size beyond what is stored (or integrated, for proofs)
  raises :class:`IndexError`; a store found inconsistent raises
  :class:`~gsomia.errors.IntegrityError`; library failures raise
  :class:`~gsomia.errors.StorageError`.
* **Witness state moves atomically.** ``record_witnessed`` is a compare-and-set on the
  previous state, so two cosigning requests can never both win (C2SP tlog-witness).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = [
    "AlarmRecord",
    "CheckpointRecord",
    "CheckpointStore",
    "LedgerStore",
    "LogStore",
    "WitnessRecord",
    "WitnessStore",
]


class LogStore(Protocol):
    """An append-only log of byte entries with RFC 9162 tree tiles (tlog-tiles layout)."""

    @property
    def origin(self) -> str:
        """The log's identity (the checkpoint origin line)."""

    def size(self) -> int:
        """How many entries are sequenced (committed)."""

    def integrated_size(self) -> int:
        """How many entries the stored tree covers; proofs and roots stop here."""

    def append_batch(
        self,
        entries: Sequence[bytes],
        *,
        keys: Sequence[str | None] | None = None,
        expect_size: int | None = None,
    ) -> int:
        """Sequence ``entries`` in one transaction; the index of the first one.

        ``keys`` (one per entry, or ``None``) index entries for :meth:`find`. MUST NOT return
        before commit. Raises :class:`ConflictError` when ``expect_size`` is given and the log
        has another size, :class:`InputError` for an entry over 65,535 bytes.
        """

    def integrate(self) -> int:
        """Fold every sequenced entry into the stored tree; the new integrated size.

        Idempotent; costs O(new entries + log n) and one transaction.
        """

    def entries(self, start: int, end: int) -> list[bytes]:
        """Entries ``[start, end)``; raises :class:`IndexError` beyond ``size()``."""

    def iter_entries(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Entries ``[start, end)`` in order, read a bundle at a time (for audits)."""

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        """Stored leaf hashes ``[start, end)`` (level-0 tiles)."""

    def read_tile(self, level: int, index: int) -> bytes:
        """The stored hashes of tile ``(level, index)`` (C2SP tlog-tiles), concatenated:
        as many as are stored, possibly more than a given tree size covers, ``b""`` if none.
        Level 0 holds leaf hashes of sequenced entries; higher levels only integrated ones."""

    def find(self, key: str) -> list[int]:
        """Indices of the entries appended with ``key``, ascending."""

    def root(self, tree_size: int) -> bytes:
        """The RFC 9162 root at ``tree_size`` (at most ``integrated_size()``)."""

    def inclusion_proof(self, index: int, tree_size: int) -> list[bytes]:
        """RFC 9162 inclusion proof of leaf ``index`` in the tree of ``tree_size``."""

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """RFC 9162 consistency proof from ``old_size`` to ``new_size``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckpointRecord:
    """A checkpoint the node signed, with the cosignature lines gathered since."""

    size: int
    note: str
    created_at: datetime
    cosignatures: tuple[str, ...] = ()


class CheckpointStore(Protocol):
    """The node's signed checkpoints and their cosignatures."""

    def add_checkpoint(self, *, size: int, note: str, created_at: datetime) -> None:
        """Store a signed checkpoint, durably (fully synced) before returning.

        Storing the same note again is a no-op; another note at a size already stored raises
        :class:`ConflictError` (a log never signs two trees of one size).
        """

    def checkpoints(self) -> list[CheckpointRecord]:
        """Every checkpoint, by increasing size."""

    def latest_checkpoint(self) -> CheckpointRecord | None:
        """The checkpoint of the greatest size, or ``None``."""

    def add_cosignature(self, *, size: int, cosigner: str, line: str) -> None:
        """Store a cosignature line beside checkpoint ``size``; a repeat is a no-op.

        Raises :class:`UnknownName` when there is no checkpoint of that size.
        """


@dataclass(frozen=True, slots=True, kw_only=True)
class WitnessRecord:
    """The latest checkpoint this node cosigned for one partner log."""

    origin: str
    size: int
    root: bytes
    note: str
    cosigned_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class AlarmRecord:
    """A witness alarm: a partner's log forked or rolled back. A person must look."""

    raised_at: datetime
    origin: str
    finding: str
    message: str
    evidence: str


class WitnessStore(Protocol):
    """What this node keeps as a witness of its partners' logs."""

    def witnessed(self, origin: str) -> WitnessRecord | None:
        """The last checkpoint cosigned for ``origin``, or ``None``."""

    def record_witnessed(self, record: WitnessRecord, *, previous_size: int | None) -> None:
        """Move ``origin``'s state to ``record`` if it still is at ``previous_size``.

        ``previous_size`` ``None`` means no state yet. Raises :class:`ConflictError` when the
        state moved meanwhile. Durable before returning.
        """

    def add_alarm(self, alarm: AlarmRecord) -> None:
        """Persist an alarm, durably, before the error reaches anyone."""

    def alarms(self) -> list[AlarmRecord]:
        """Every alarm, oldest first."""


class LedgerStore(LogStore, CheckpointStore, WitnessStore, Protocol):
    """All three, as one node keeps them in one database."""

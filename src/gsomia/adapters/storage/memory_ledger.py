"""An in-memory ledger store: the reference adapter for tests and the demo.

It keeps exactly what the SQL adapter keeps (entry bundles, hash tiles, the compact range,
checkpoints, cosignatures, witness state, alarms) in dictionaries behind one lock, so it
passes the same conformance suite. "Committed" here means "visible to every later call";
nothing survives the process.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import datetime

from gsomia.adapters.storage._shared import ProofReads
from gsomia.errors import ConflictError, InputError, IntegrityError, UnknownName
from gsomia.ledger.checkpoint import SignedNote
from gsomia.ledger.merkle import HASH_SIZE, leaf_hash
from gsomia.ledger.tiles import (
    TILE_WIDTH,
    CompactRange,
    TileProofs,
    decode_bundle,
    encode_bundle,
    integrate,
    tile_chunks,
)
from gsomia.ports.ledger import AlarmRecord, CheckpointRecord, WitnessRecord

__all__ = ["MemoryLedgerStore"]


class MemoryLedgerStore(ProofReads):
    """:class:`~gsomia.ports.ledger.LedgerStore` in memory (one log, one process)."""

    def __init__(self, *, origin: str, tile_cache: int = 1024) -> None:
        self._origin = origin
        self._lock = threading.RLock()
        self._size = 0
        self._compact = CompactRange()
        self._bundles: dict[int, bytes] = {}
        self._tiles: dict[tuple[int, int], bytes] = {}
        self._keys: dict[str, list[int]] = {}
        self._checkpoints: dict[int, CheckpointRecord] = {}
        self._witnessed: dict[str, WitnessRecord] = {}
        self._alarms: list[AlarmRecord] = []
        self._proofs = TileProofs(self._tile, cache_tiles=tile_cache)

    @property
    def lock(self) -> threading.RLock:
        """The lock every call takes: a store that appends in its own units of work holds it
        from the first append to the commit, so the indexes it gave out stay true."""
        return self._lock

    @property
    def origin(self) -> str:
        """The log's origin."""
        return self._origin

    def size(self) -> int:
        """Entries sequenced."""
        return self._size

    def integrated_size(self) -> int:
        """Entries covered by the stored tree."""
        return self._compact.size

    def _tile(self, level: int, index: int) -> bytes:
        return self._tiles.get((level, index), b"")

    def read_tile(self, level: int, index: int) -> bytes:
        """The stored hashes of tile ``(level, index)``."""
        with self._lock:
            return self._tile(level, index)

    def append_batch(
        self,
        entries: Sequence[bytes],
        *,
        keys: Sequence[str | None] | None = None,
        expect_size: int | None = None,
    ) -> int:
        """Sequence ``entries``; see :class:`~gsomia.ports.ledger.LogStore`."""
        if keys is not None and len(keys) != len(entries):
            raise InputError("append_batch: one key (or None) per entry")
        encoded = [encode_bundle([entry]) for entry in entries]
        hashes = [leaf_hash(entry) for entry in entries]
        with self._lock:
            first = self._size
            if expect_size is not None and expect_size != first:
                raise ConflictError(f"log {self._origin} has {first} entries, not {expect_size}")
            for tile, _, chunk in tile_chunks(first, encoded):
                self._bundles[tile] = self._bundles.get(tile, b"") + b"".join(chunk)
            for tile, _, chunk in tile_chunks(first, hashes):
                self._tiles[(0, tile)] = self._tile(0, tile) + b"".join(chunk)
            for offset, key in enumerate(keys or ()):
                if key is not None:
                    self._keys.setdefault(key, []).append(first + offset)
            self._size = first + len(entries)
        return first

    def integrate(self) -> int:
        """Fold sequenced entries into the tree tiles."""
        with self._lock:
            done = self._compact.size
            if done == self._size:
                return done
            result = integrate(self._compact, self.leaf_hashes(done, self._size))
            for level, tile, offset, data in result.tile_writes():
                if level == 0:
                    continue
                old = self._tile(level, tile)
                if len(old) != offset * HASH_SIZE:
                    raise IntegrityError(f"tile {level}/{tile} does not end where expected")
                self._tiles[(level, tile)] = old + data
            self._compact = result.compact
            return self._compact.size

    def _check_range(self, start: int, end: int, limit: int) -> None:
        if not 0 <= start <= end <= limit:
            raise IndexError(f"range [{start}, {end}) is outside [0, {limit})")

    def entries(self, start: int, end: int) -> list[bytes]:
        """Entries ``[start, end)``."""
        return list(self.iter_entries(start, end))

    def iter_entries(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Entries ``[start, end)``, a bundle at a time."""
        end = self._size if end is None else end
        self._check_range(start, end, self._size)
        for bundle in range(start // TILE_WIDTH, (end + TILE_WIDTH - 1) // TILE_WIDTH):
            items = decode_bundle(self._bundles.get(bundle, b""))
            base = bundle * TILE_WIDTH
            yield from items[max(start - base, 0) : end - base]

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        """Stored leaf hashes ``[start, end)``."""
        self._check_range(start, end, self._size)
        out: list[bytes] = []
        for tile in range(start // TILE_WIDTH, (end + TILE_WIDTH - 1) // TILE_WIDTH):
            data = self._tile(0, tile)
            base = tile * TILE_WIDTH
            lo, hi = max(start - base, 0), min(end - base, TILE_WIDTH)
            out.extend(
                data[i : i + HASH_SIZE] for i in range(lo * HASH_SIZE, hi * HASH_SIZE, HASH_SIZE)
            )
        return out

    def find(self, key: str) -> list[int]:
        """Indices appended with ``key``."""
        with self._lock:
            return list(self._keys.get(key, ()))

    def _check_size(self, tree_size: int) -> None:
        if not 0 <= tree_size <= self._compact.size:
            raise IndexError(f"tree size {tree_size} is not integrated ({self._compact.size})")

    def add_checkpoint(self, *, size: int, note: str, created_at: datetime) -> None:
        """Store a signed checkpoint; see :class:`~gsomia.ports.ledger.CheckpointStore`."""
        with self._lock:
            have = self._checkpoints.get(size)
            if have is not None:
                if SignedNote.parse(have.note).text != SignedNote.parse(note).text:
                    raise ConflictError(f"a different checkpoint of size {size} is stored")
                return
            self._checkpoints[size] = CheckpointRecord(size=size, note=note, created_at=created_at)

    def checkpoints(self) -> list[CheckpointRecord]:
        """Checkpoints by size."""
        with self._lock:
            return [self._checkpoints[s] for s in sorted(self._checkpoints)]

    def latest_checkpoint(self) -> CheckpointRecord | None:
        """The largest checkpoint."""
        with self._lock:
            return self._checkpoints[max(self._checkpoints)] if self._checkpoints else None

    def add_cosignature(self, *, size: int, cosigner: str, line: str) -> None:
        """Store a cosignature beside checkpoint ``size``."""
        with self._lock:
            have = self._checkpoints.get(size)
            if have is None:
                raise UnknownName(kind="checkpoint size", name=str(size))
            if line in have.cosignatures:
                return
            cosigs = (*have.cosignatures, line)
            self._checkpoints[size] = CheckpointRecord(
                size=size, note=have.note, created_at=have.created_at, cosignatures=cosigs
            )

    def witnessed(self, origin: str) -> WitnessRecord | None:
        """Last cosigned state for ``origin``."""
        with self._lock:
            return self._witnessed.get(origin)

    def record_witnessed(self, record: WitnessRecord, *, previous_size: int | None) -> None:
        """Compare-and-set the witness state."""
        with self._lock:
            have = self._witnessed.get(record.origin)
            if (None if have is None else have.size) != previous_size:
                raise ConflictError(f"witness state of {record.origin} moved meanwhile")
            self._witnessed[record.origin] = record

    def add_alarm(self, alarm: AlarmRecord) -> None:
        """Persist an alarm."""
        with self._lock:
            self._alarms.append(alarm)

    def alarms(self) -> list[AlarmRecord]:
        """Every alarm, oldest first."""
        with self._lock:
            return list(self._alarms)

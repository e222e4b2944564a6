"""Tiles of hashes, bundles of entries, integration of new leaves, and proofs built from tiles.

The storage layout follows C2SP ``tlog-tiles``: the tree is cut into strata of height 8;
*tile* ``(L, N)`` holds the hashes of the complete subtrees of height ``8 * L`` numbered
``256 * N`` to ``256 * N + 255``, as up to 256 concatenated 32-byte hashes (level 0 holds the
leaf hashes). The last tile of a level may be partial; a partial tile only ever grows. Entries
are stored the same way, 256 to a *bundle*, each prefixed by its length as a big-endian
``uint16``. A store therefore writes a handful of rows per batch, never a row per node.

*Integration* (Tessera's word) folds new leaf hashes into the tree: it returns the new
complete hashes of every stratum and the new *compact range* (the roots of the perfect
subtrees that cover the log, one per set bit of its size), whose fold is the root. It costs
one hash per leaf and O(log n) state, whatever the size of the log.

:class:`TileProofs` builds RFC 9162 inclusion and consistency proofs and roots at any size
from tiles fetched through a callable, keeping an LRU of tiles expanded into their eight
inner levels; it holds no store, so it is tested with a dictionary (Tessera's
``ProofBuilder`` over a tile fetcher).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from gsomia.errors import InputError, IntegrityError
from gsomia.ledger.merkle import EMPTY_ROOT, HASH_SIZE, consistency_ranges, node_hash

__all__ = [
    "MAX_ENTRY_SIZE",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "CompactRange",
    "Integration",
    "TileFetcher",
    "TileProofs",
    "decode_bundle",
    "encode_bundle",
    "integrate",
    "tile_chunks",
]

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_ENTRY_SIZE = 0xFFFF

TileFetcher = Callable[[int, int], bytes]
"""``fetch(level, index)``: the stored hashes of tile ``(level, index)``, concatenated."""

_T = TypeVar("_T")
_sha256 = hashlib.sha256


def encode_bundle(entries: Sequence[bytes]) -> bytes:
    """Concatenate entries, each prefixed by its length as a big-endian ``uint16``.

    Raises :class:`InputError` when an entry is longer than ``MAX_ENTRY_SIZE`` bytes.
    """
    if entries and max(map(len, entries)) > MAX_ENTRY_SIZE:
        raise InputError(f"a ledger entry is longer than {MAX_ENTRY_SIZE} bytes")
    return b"".join([len(entry).to_bytes(2, "big") + entry for entry in entries])


def decode_bundle(data: bytes) -> list[bytes]:
    """Split a bundle back into its entries; raises :class:`IntegrityError` if it is cut short."""
    entries = []
    pos, end = 0, len(data)
    while pos < end:
        if pos + 2 > end:
            raise IntegrityError("entry bundle ends inside a length prefix")
        size = int.from_bytes(data[pos : pos + 2], "big")
        pos += 2
        if pos + size > end:
            raise IntegrityError("entry bundle ends inside an entry")
        entries.append(data[pos : pos + size])
        pos += size
    return entries


def tile_chunks(first: int, items: Sequence[_T]) -> list[tuple[int, int, Sequence[_T]]]:
    """Cut ``items`` numbered from ``first`` at tile boundaries: ``(tile, offset, chunk)``."""
    chunks = []
    pos, index = 0, first
    while pos < len(items):
        tile, offset = divmod(index, TILE_WIDTH)
        take = min(TILE_WIDTH - offset, len(items) - pos)
        chunks.append((tile, offset, items[pos : pos + take]))
        pos += take
        index += take
    return chunks


@dataclass(frozen=True, slots=True, kw_only=True)
class CompactRange:
    """The roots of the perfect subtrees covering leaves ``[0, size)``, largest first.

    There is one hash per set bit of ``size``; their right fold is the RFC 9162 root.
    Raises :class:`IntegrityError` when the hashes do not fit the size (a corrupt store).
    """

    size: int = 0
    hashes: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        if self.size < 0 or len(self.hashes) != self.size.bit_count():
            raise IntegrityError(f"compact range of size {self.size} has the wrong shape")
        if any(len(h) != HASH_SIZE for h in self.hashes):
            raise IntegrityError("compact range holds a hash that is not 32 bytes")

    def root(self) -> bytes:
        """The Merkle tree hash of the first ``size`` leaves (RFC 9162 §2.1.1)."""
        if not self.hashes:
            return EMPTY_ROOT
        value = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            value = node_hash(left, value)
        return value

    def to_bytes(self) -> bytes:
        """The hashes concatenated; the size is stored beside them."""
        return b"".join(self.hashes)

    @classmethod
    def from_bytes(cls, *, size: int, data: bytes) -> CompactRange:
        """Rebuild from :meth:`to_bytes`; raises :class:`IntegrityError` on a bad length."""
        if len(data) % HASH_SIZE:
            raise IntegrityError("compact range bytes are not whole hashes")
        hashes = tuple(data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE))
        return cls(size=size, hashes=hashes)


@dataclass(frozen=True, slots=True, kw_only=True)
class Integration:
    """What integrating new leaves produced.

    ``strata[L]`` lists the new complete hashes of height ``8 * L``, numbered from
    ``old_size >> (8 * L)``; ``strata[0]`` is the new leaf hashes themselves.
    """

    old_size: int
    compact: CompactRange
    strata: tuple[tuple[bytes, ...], ...]

    def tile_writes(self) -> list[tuple[int, int, int, bytes]]:
        """``(level, tile, offset, hashes)`` for every tile the new hashes extend."""
        writes = []
        for level, hashes in enumerate(self.strata):
            first = self.old_size >> (TILE_HEIGHT * level)
            for tile, offset, chunk in tile_chunks(first, hashes):
                writes.append((level, tile, offset, b"".join(chunk)))
        return writes


def integrate(compact: CompactRange, leaf_hashes: Sequence[bytes]) -> Integration:
    """Fold ``leaf_hashes`` into the tree whose right edge is ``compact``.

    Works level by level: at each height the new complete nodes are paired, after taking
    the compact range's pending left sibling when there is one; a lone last node becomes
    part of the new compact range. One SHA-256 per leaf on average.
    """
    size = compact.size
    heights = [h for h in range(size.bit_length() - 1, -1, -1) if size >> h & 1]
    pending = dict(zip(heights, compact.hashes, strict=True))
    frontier: dict[int, bytes] = {}
    strata: list[tuple[bytes, ...]] = [tuple(leaf_hashes)]
    level, height, start = list(leaf_hashes), 0, size
    sha = _sha256
    while level:
        if start & 1:
            level = [pending.pop(height), *level]
            start -= 1
        if len(level) & 1:
            frontier[height] = level[-1]
        pairs = zip(level[0::2], level[1::2], strict=False)
        level = [sha(b"\x01" + a + b).digest() for a, b in pairs]
        height += 1
        start >>= 1
        if height % TILE_HEIGHT == 0 and level:
            strata.append(tuple(level))
    frontier.update(pending)
    new_size = size + len(leaf_hashes)
    hashes = tuple(frontier[h] for h in sorted(frontier, reverse=True))
    return Integration(
        old_size=size, compact=CompactRange(size=new_size, hashes=hashes), strata=tuple(strata)
    )


# Where the nodes of height r start in an expanded tile: 256 leaves, then 128 nodes, ...
_OFFSETS = tuple(2 * TILE_WIDTH - (2 * TILE_WIDTH >> r) for r in range(TILE_HEIGHT))


def _expand(data: bytes) -> tuple[bytes, ...]:
    """A tile's eight inner levels, flat: the node of height r and number k is at
    ``_OFFSETS[r] + k``; slots a partial tile lacks hold ``b""``."""
    layer = [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]
    flat: list[bytes] = []
    sha = _sha256
    for inner in range(TILE_HEIGHT):
        flat.extend(layer)
        flat.extend([b""] * ((TILE_WIDTH >> inner) - len(layer)))
        pairs = zip(layer[0::2], layer[1::2], strict=False)
        layer = [sha(b"\x01" + a + b).digest() for a, b in pairs]
    return tuple(flat)


class TileProofs:
    """Roots, inclusion proofs and consistency proofs (RFC 9162 §2.1) read from tiles.

    ``fetch(level, index)`` returns a tile's stored hashes; it may return more hashes than
    a given tree size needs (the tile grew since) but never fewer. Expanded tiles are kept
    in an LRU of ``cache_tiles`` entries (about 16 KiB each). Raises :class:`IntegrityError`
    when the store hands back a tile that is too short; proofs are otherwise only as good
    as the store, so callers verify them against a signed root.
    """

    def __init__(self, fetch: TileFetcher, *, cache_tiles: int = 1024) -> None:
        self._fetch = fetch
        self._capacity = max(1, cache_tiles)
        self._tiles: OrderedDict[tuple[int, int], tuple[int, tuple[bytes, ...]]] = OrderedDict()
        self._ranges: dict[tuple[int, int], bytes] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget every cached tile (after a store was rebuilt, in tests)."""
        with self._lock:
            self._tiles.clear()
            self._ranges.clear()

    def _layers(self, level: int, index: int, width: int) -> tuple[bytes, ...]:
        key = (level, index)
        with self._lock:
            hit = self._tiles.get(key)
            if hit is not None and hit[0] >= width:
                self._tiles.move_to_end(key)
                return hit[1]
        data = self._fetch(level, index)
        have = min(len(data) // HASH_SIZE, TILE_WIDTH)
        if have < width:
            raise IntegrityError(f"tile {level}/{index} holds {have} hashes; {width} are needed")
        layers = _expand(data[: have * HASH_SIZE])
        with self._lock:
            self._tiles[key] = (have, layers)
            self._tiles.move_to_end(key)
            while len(self._tiles) > self._capacity:
                self._tiles.popitem(last=False)
        return layers

    def _node(self, height: int, index: int, tree_size: int) -> bytes:
        level, inner = divmod(height, TILE_HEIGHT)
        tile, offset = divmod(index << inner, TILE_WIDTH)
        width = min(TILE_WIDTH, (tree_size >> (TILE_HEIGHT * level)) - TILE_WIDTH * tile)
        return self._layers(level, tile, width)[_OFFSETS[inner] + (offset >> inner)]

    def _range(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for a range whose start is aligned to its width's power of two."""
        key = (start, end)
        hit = self._ranges.get(key)
        if hit is not None:
            return hit
        nodes = []
        at = start
        while at < end:
            width = 1 << ((end - at).bit_length() - 1)
            if at:
                width = min(width, at & -at)
            height = width.bit_length() - 1
            nodes.append(self._node(height, at >> height, end))
            at += width
        value = nodes[-1]
        for left in reversed(nodes[:-1]):
            value = node_hash(left, value)
        if len(self._ranges) >= 4096:
            self._ranges.clear()
        self._ranges[key] = value
        return value

    def root(self, tree_size: int) -> bytes:
        """The root hash at ``tree_size`` (RFC 9162 §2.1.1)."""
        if tree_size < 0:
            raise IndexError(f"tree size {tree_size} is negative")
        return self._range(0, tree_size) if tree_size else EMPTY_ROOT

    def inclusion_proof(self, index: int, tree_size: int) -> list[bytes]:
        """PATH(index, D[tree_size]) of RFC 9162 §2.1.3.1, from the leaf upwards.

        Raises :class:`IndexError` when ``index`` is not below ``tree_size``.
        """
        if not 0 <= index < tree_size:
            raise IndexError(f"leaf {index} is not in a tree of size {tree_size}")
        proof: list[bytes] = []
        height, top = 0, (tree_size - 1).bit_length()
        # Below the first incomplete ancestor every sibling is a complete node, so each
        # stratum of eight heights is read from one expanded tile in one pass.
        while height + TILE_HEIGHT <= top:
            span = TILE_HEIGHT + height
            if ((index >> span) + 1) << span > tree_size:
                break
            flat = self._layers(height // TILE_HEIGHT, index >> span, TILE_WIDTH)
            at = (index >> height) % TILE_WIDTH
            proof.extend([flat[_OFFSETS[r] + ((at >> r) ^ 1)] for r in range(TILE_HEIGHT)])
            height = span
        for h in range(height, top):
            sibling = (index >> h) ^ 1
            start = sibling << h
            if start >= tree_size:
                continue
            if start + (1 << h) > tree_size:
                proof.append(self._range(start, tree_size))
            else:
                proof.append(self._node(h, sibling, tree_size))
        return proof

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """PROOF(old_size, D[new_size]) of RFC 9162 §2.1.4.1.

        Raises :class:`IndexError` when ``old_size`` is not within ``[0, new_size]``.
        """
        return [self._range(start, end) for start, end in consistency_ranges(old_size, new_size)]

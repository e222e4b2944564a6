"""Tiles, bundles, compact ranges and proofs read from tiles, against the plain tree."""

from __future__ import annotations

import pytest

from gsomia.errors import InputError, IntegrityError
from gsomia.ledger import merkle
from gsomia.ledger.tiles import (
    MAX_ENTRY_SIZE,
    TILE_WIDTH,
    CompactRange,
    TileProofs,
    decode_bundle,
    encode_bundle,
    integrate,
    tile_chunks,
)


def leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def build(
    hashes: list[bytes], batches: list[int]
) -> tuple[dict[tuple[int, int], bytes], CompactRange]:
    """Integrate ``hashes`` in batches of the given sizes, as a store would."""
    tiles: dict[tuple[int, int], bytes] = {}
    compact = CompactRange()
    at = 0
    for size in batches:
        result = integrate(compact, hashes[at : at + size])
        for level, tile, offset, data in result.tile_writes():
            old = tiles.get((level, tile), b"")
            assert len(old) == offset * 32
            tiles[(level, tile)] = old + data
        compact = result.compact
        at += size
        assert compact.root() == merkle.root(hashes[:at])
    return tiles, compact


def test_bundles_round_trip_with_uint16_length_prefixes() -> None:
    entries = [b"", b"a", b"\x00" * 300, b"x" * MAX_ENTRY_SIZE]
    data = encode_bundle(entries)
    assert data[:2] == b"\x00\x00" and data[2:5] == b"\x00\x01a"
    assert decode_bundle(data) == entries
    with pytest.raises(InputError):
        encode_bundle([b"x" * (MAX_ENTRY_SIZE + 1)])
    for cut in (data[:-1], data[:3], b"\x00"):
        with pytest.raises(IntegrityError):
            decode_bundle(cut)


def test_chunks_never_cross_a_tile_boundary() -> None:
    chunks = tile_chunks(250, list(range(300)))
    assert [(t, o, len(c)) for t, o, c in chunks] == [(0, 250, 6), (1, 0, 256), (2, 0, 38)]
    assert [x for _, _, c in chunks for x in c] == list(range(300))


@pytest.mark.parametrize(
    "batches",
    [[1] * 300, [256, 256, 1], [255, 2, 300], [1000], [7, 1000, 3, 65536 - 1010, 5]],
    ids=lambda b: f"{len(b)}batches",
)
def test_integration_in_any_batches_gives_the_reference_root_and_tiles(batches: list[int]) -> None:
    hashes = leaves(sum(batches))
    tiles, compact = build(hashes, batches)
    assert tiles[(0, 0)][:64] == hashes[0] + hashes[1]
    if len(hashes) >= TILE_WIDTH:
        assert tiles[(1, 0)][:32] == merkle.root(hashes[:TILE_WIDTH])
    assert len(compact.hashes) == len(hashes).bit_count()


def test_compact_range_refuses_the_wrong_shape() -> None:
    with pytest.raises(IntegrityError):
        CompactRange(size=3, hashes=(b"x" * 32,))
    with pytest.raises(IntegrityError):
        CompactRange(size=1, hashes=(b"short",))
    with pytest.raises(IntegrityError):
        CompactRange.from_bytes(size=1, data=b"x" * 33)
    full = CompactRange(size=2, hashes=(b"y" * 32,))
    assert CompactRange.from_bytes(size=2, data=full.to_bytes()) == full


def test_proofs_from_tiles_equal_the_reference_across_three_strata() -> None:
    hashes = leaves(70_000)
    tiles, _ = build(hashes, [70_000])
    proofs = TileProofs(lambda level, index: tiles.get((level, index), b""), cache_tiles=4)
    tree = merkle.levels(hashes)
    for size in (1, 255, 256, 257, 65_535, 65_536, 65_537, 70_000):
        assert proofs.root(size) == merkle.root(hashes[:size])
    every = merkle.all_inclusion_proofs(hashes)
    for index in (0, 1, 255, 256, 65_535, 65_536, 69_999):
        assert proofs.inclusion_proof(index, 70_000) == every[index]
    assert tree[-1][0] == proofs.root(70_000)
    for old in (1, 256, 4097, 65_536, 69_999):
        assert proofs.consistency_proof(old, 70_000) == merkle.consistency_proof(hashes, old)


def test_proofs_at_a_smaller_size_ignore_hashes_beyond_it() -> None:
    hashes = leaves(600)
    tiles, _ = build(hashes, [600])
    proofs = TileProofs(lambda level, index: tiles.get((level, index), b""))
    for size in (1, 2, 300, 512, 513):
        for index in (0, size // 2, size - 1):
            assert proofs.inclusion_proof(index, size) == merkle.inclusion_proof(
                hashes[:size], index
            )


def test_a_short_tile_is_an_integrity_error_and_bad_indices_are_index_errors() -> None:
    hashes = leaves(300)
    tiles, _ = build(hashes, [300])
    tiles[(0, 1)] = tiles[(0, 1)][:32]
    proofs = TileProofs(lambda level, index: tiles.get((level, index), b""))
    with pytest.raises(IntegrityError):
        proofs.inclusion_proof(299, 300)
    with pytest.raises(IndexError):
        proofs.inclusion_proof(300, 300)
    with pytest.raises(IndexError):
        proofs.consistency_proof(301, 300)


def test_a_grown_partial_tile_is_fetched_again() -> None:
    hashes = leaves(300)
    store: dict[tuple[int, int], bytes] = {}
    fetched: list[tuple[int, int]] = []

    def fetch(level: int, index: int) -> bytes:
        fetched.append((level, index))
        return store.get((level, index), b"")

    proofs = TileProofs(fetch)
    store.update(build(hashes[:260], [260])[0])
    assert proofs.inclusion_proof(259, 260) == merkle.inclusion_proof(hashes[:260], 259)
    store.update(build(hashes, [300])[0])
    assert proofs.inclusion_proof(299, 300) == merkle.inclusion_proof(hashes, 299)
    assert fetched.count((0, 1)) == 2

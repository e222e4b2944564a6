"""A node process hands the C allocator's free pages back to the system (``gsomia._heap``)."""

from __future__ import annotations

import platform
from pathlib import Path

import pytest

from gsomia import _heap

glibc = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="malloc_trim and M_ARENA_MAX are glibc's"
)


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@glibc
def test_freed_memory_held_between_live_blocks_goes_back_to_the_system() -> None:
    # 40 MB in 1,000-byte blocks (beyond Python's small-object allocator, so from malloc),
    # of which every 64th stays alive: the rest is free but pinned between live blocks.
    blocks = [bytes(1000) + bytes([i % 256]) for i in range(40_000)]
    kept = blocks[::64]
    del blocks
    before = _rss_kib()
    assert _heap.release_free_memory()
    after = _rss_kib()
    assert before - after > 20_000, (before, after)
    assert len(kept) == 625


@glibc
def test_the_arenas_can_be_limited() -> None:
    assert _heap.limit_arenas(_heap.ARENAS)

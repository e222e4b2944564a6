"""The production id source: 32 hex digits, time-ordered at millisecond grain, unique."""

from __future__ import annotations

import re
import time

from gsomia.adapters.clock import RandomIds


def test_ids_are_hex_unique_and_ordered_by_the_millisecond() -> None:
    ids = RandomIds()
    first = [ids.new_id() for _ in range(1000)]
    time.sleep(0.002)
    later = ids.new_id()
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in [*first, later])
    assert len(set(first)) == len(first)
    assert all(later > i for i in first), "an id of a later millisecond sorts after"
    now_ms = time.time_ns() // 1_000_000
    assert 0 <= now_ms - int(later[:12], 16) < 60_000


def test_the_random_part_varies_within_one_millisecond() -> None:
    ids = RandomIds()
    tails = {ids.new_id()[12:] for _ in range(200)}
    assert len(tails) == 200 and all(len(t) == 20 for t in tails)

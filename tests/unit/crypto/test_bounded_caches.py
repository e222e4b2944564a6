"""The keyring's caches are bounded: a node that runs for months opens and checks ever new
items, and each cache keeps at most what its work in hand needs (``crypto._bounded``)."""

from __future__ import annotations

import dataclasses

import pytest

from gsomia import crypto
from gsomia.crypto import _keys
from gsomia.crypto._bounded import Bounded
from tests.support.crypto import World, sealed


def test_a_bounded_cache_holds_at_most_its_limit_after_twice_as_many_entries() -> None:
    cache: Bounded[int, str] = Bounded(8)
    for n in range(16):
        cache.put(n, str(n))
        assert len(cache) <= 8
    assert sorted(cache) == list(range(8, 16))


def test_a_bounded_cache_forgets_the_entry_used_least_recently() -> None:
    cache: Bounded[str, int] = Bounded(3)
    for key in "abc":
        cache.put(key, 1)
    assert cache.get("a") == 1  # "a" is now the most recently used
    cache.put("d", 1)
    assert "b" not in cache
    assert set(cache) == {"a", "c", "d"}
    assert cache.get("b") is None
    assert cache.get("b", 7) == 7


@pytest.mark.parametrize("limit", [0, -1])
def test_a_bounded_cache_refuses_a_limit_below_one(limit: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Bounded(limit)


def test_opened_wrap_keys_stay_within_their_bound(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every item sealed on its own has a wrap key of its own, which its holder caches
    when it opens the item."""
    limit = 16
    monkeypatch.setattr(_keys, "_CACHE_LIMIT", limit)
    kor = _fresh(world.kor)
    for item in range(2 * limit):
        envelope, binding = sealed(world, b"report %d" % item, item=item)
        assert crypto.open(keyring=kor, envelope=envelope, binding=binding) == b"report %d" % item
        assert len(kor._state.aeads) <= limit
    assert len(kor._state.aeads) == limit


def test_checked_signatures_stay_within_their_bound(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = 16
    monkeypatch.setattr(_keys, "_VERIFIED_LIMIT", limit)
    kor = _fresh(world.kor)
    for item in range(2 * limit):
        envelope, binding = sealed(world, b"report %d" % item, item=item)
        crypto.verify(keyring=kor, envelope=envelope, binding=binding)
        assert len(kor._state.verified) <= limit
    assert len(kor._state.verified) == limit


def test_the_default_bounds_are_what_the_caches_hold(world: World) -> None:
    state = world.kor._state
    assert state.aeads.limit == state.frames.limit == state.plans.limit == _keys._CACHE_LIMIT
    assert state.verified.limit == _keys._VERIFIED_LIMIT
    assert _keys._CACHE_LIMIT <= 512
    assert _keys._VERIFIED_LIMIT <= 1024


def _fresh(keyring: crypto.Keyring) -> crypto.Keyring:
    """The same keys with empty caches of the bounds in force now."""
    return dataclasses.replace(keyring)

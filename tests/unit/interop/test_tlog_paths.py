"""C2SP tlog-tiles paths: one spelling per tile, every other spelling refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gsomia.errors import InputError
from gsomia.interop.tlog import ENTRIES, TilePath, parse_tile_path


@given(
    level=st.one_of(st.just(ENTRIES), st.integers(0, 63)),
    index=st.integers(0, 10**12),
    width=st.integers(1, 256),
)
def test_paths_round_trip(level: int, index: int, width: int) -> None:
    tile = TilePath(level=level, index=index, width=width)
    assert parse_tile_path(tile.path()) == tile


def test_the_specification_examples() -> None:
    assert TilePath(level=0, index=1234067).path() == "tile/0/x001/x234/067"
    assert TilePath(level=ENTRIES, index=5, width=7).path() == "tile/entries/005.p/7"


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/1", "tile/0/x000/001", "tile/00/000", "tile/64/000", "tile/0/000.p/256",
        "tile/0/000.p/0", "tile/0/000.p/07", "tile/data/000", "tiles/0/000", "tile/0/x001",
        "tile/0/001/002",
    ],
)  # fmt: skip
def test_other_spellings_are_refused(path: str) -> None:
    with pytest.raises(InputError):
        parse_tile_path(path)

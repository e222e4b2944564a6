"""C2SP tlog-tiles paths: ``tile/<L>/<N>[.p/<W>]`` and ``tile/entries/<N>[.p/<W>]``.

The tile index ``N`` is written in groups of three decimal digits, each group but the last
prefixed with ``x`` (``1234067`` is ``x001/x234/067``); ``.p/<W>`` names a partial tile of
``W`` (1 to 255) hashes or entries. Parsing accepts only the one spelling the specification
allows, so that every tile has one URL and caches cannot be poisoned by aliases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gsomia.errors import InputError
from gsomia.ledger.tiles import TILE_WIDTH

__all__ = ["ENTRIES", "TilePath", "parse_tile_path"]

#: The ``level`` of an entry bundle path.
ENTRIES = -1
_MAX_LEVEL = 63
_GROUP = re.compile(r"^x\d{3}$")
_LAST = re.compile(r"^\d{3}$")
_LEVEL = re.compile(r"^(0|[1-9]\d?)$")
_WIDTH = re.compile(r"^[1-9]\d{0,2}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class TilePath:
    """A tile (``level`` >= 0) or an entry bundle (``level`` = :data:`ENTRIES`);
    ``width`` is 256 for a full tile."""

    level: int
    index: int
    width: int = TILE_WIDTH

    @property
    def partial(self) -> bool:
        """Whether the path names a partial tile."""
        return self.width < TILE_WIDTH

    def path(self) -> str:
        """The one spelling of this path, without a leading slash."""
        digits = f"{self.index:d}"
        digits = digits.zfill(-(-len(digits) // 3) * 3)
        groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
        index = "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])
        level = "entries" if self.level == ENTRIES else str(self.level)
        tail = f".p/{self.width}" if self.partial else ""
        return f"tile/{level}/{index}{tail}"


def parse_tile_path(path: str) -> TilePath:
    """Read ``tile/...``; raises :class:`InputError` when it is not a canonical tile path."""
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise InputError(f"{path!r} is not a tile path")
    if parts[1] == "entries":
        level = ENTRIES
    elif _LEVEL.fullmatch(parts[1]) and int(parts[1]) <= _MAX_LEVEL:
        level = int(parts[1])
    else:
        raise InputError(f"{path!r}: the level must be 0 to {_MAX_LEVEL} or 'entries'")
    rest = parts[2:]
    width = TILE_WIDTH
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        if not _WIDTH.fullmatch(rest[-1]) or int(rest[-1]) >= TILE_WIDTH:
            raise InputError(f"{path!r}: a partial width is 1 to {TILE_WIDTH - 1}")
        width = int(rest[-1])
        rest = [*rest[:-2], rest[-2][:-2]]
    if not _LAST.fullmatch(rest[-1]) or not all(_GROUP.fullmatch(g) for g in rest[:-1]):
        raise InputError(f"{path!r}: the index must be written as x001/x234/067")
    index = int("".join(g.lstrip("x") for g in rest))
    tile = TilePath(level=level, index=index, width=width)
    if tile.path() != path:
        raise InputError(f"{path!r} is not the canonical spelling {tile.path()!r}")
    return tile

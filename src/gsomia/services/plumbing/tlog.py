"""The node's ledger as C2SP tlog-tiles, read-only: the latest checkpoint, hash tiles and
entry bundles, for partners and auditors to verify with any tlog client.

The checkpoint and the hash tiles name nothing but hashes and the log's size. The entry
bundles are the ledger's entries themselves (who opened, provided or destroyed which item,
under which agreement, at what level): they are served only to a viewer the rules let see
the ledger (JK-6.f, ``Act.VIEW_LEDGER``), as the ledger's other listings are, and a refusal
is recorded.

Only what the latest signed checkpoint covers is served: a tile or bundle that reaches past
its tree size is not found, and a partial one is cut to exactly its width. Full tiles never
change, partial ones only grow, so a client may cache hash tiles; an entry bundle, which the
rules let a viewer see, is not to be kept (:meth:`LogTiles.decided`), or it would outlive the
viewer's access.
"""

from __future__ import annotations

from gsomia.core.rules import Act
from gsomia.errors import UnknownName
from gsomia.interop.tlog import ENTRIES, TilePath, parse_tile_path
from gsomia.ledger.checkpoint import Checkpoint, NoteSignature, SignedNote
from gsomia.ledger.merkle import HASH_SIZE
from gsomia.ledger.tiles import TILE_HEIGHT, TILE_WIDTH, encode_bundle
from gsomia.services.plumbing.context import NodeContext
from gsomia.services.plumbing.queries import Queries

__all__ = ["LogTiles"]


class LogTiles:
    """Serves one node's log in the tlog-tiles layout."""

    def __init__(self, ctx: NodeContext) -> None:
        self.ctx = ctx

    def checkpoint(self) -> str:
        """The latest signed checkpoint with the cosignatures gathered since.

        Raises :class:`UnknownName` when the node has signed none yet.
        """
        record = self.ctx.store.ledger.latest_checkpoint()
        if record is None:
            raise UnknownName(kind="signed checkpoint", name=self.ctx.store.ledger.origin)
        note = SignedNote.parse(record.note).with_signatures(
            NoteSignature.parse_line(line.rstrip("\n")) for line in record.cosignatures
        )
        return note.to_text()

    def _size(self) -> int:
        record = self.ctx.store.ledger.latest_checkpoint()
        return 0 if record is None else Checkpoint.parse(SignedNote.parse(record.note).text).size

    def tile(self, path: str, *, viewer: str) -> bytes:
        """The tile or entry bundle at ``path`` (``tile/...``), as ``viewer`` may see it.

        Raises :class:`InputError` for a path that is not canonical,
        :class:`PolicyDenied` (recorded) for an entry bundle to a viewer who may not see the
        ledger, and :class:`UnknownName` for one the latest checkpoint does not cover.
        """
        tile = parse_tile_path(path)
        if tile.level == ENTRIES:
            Queries(self.ctx).decide_node_view(Act.VIEW_LEDGER, viewer, what="ledger")
        size = self._size()
        level = max(tile.level, 0)
        covered = (size >> (TILE_HEIGHT * level)) - tile.index * TILE_WIDTH
        if covered < tile.width or (tile.partial and covered >= TILE_WIDTH):
            raise UnknownName(kind="tile", name=path)
        if tile.level == ENTRIES:
            return self._entries(tile)
        data = self.ctx.store.ledger.read_tile(tile.level, tile.index)
        if len(data) < tile.width * HASH_SIZE:
            raise UnknownName(kind="tile", name=path)
        return data[: tile.width * HASH_SIZE]

    @staticmethod
    def decided(path: str) -> bool:
        """Whether the rules decide who sees the tile at ``path`` (an entry bundle): what a
        viewer was let see is not to be kept past their access. Raises :class:`InputError`
        for a path that is not canonical."""
        return parse_tile_path(path).level == ENTRIES

    def _entries(self, tile: TilePath) -> bytes:
        start = tile.index * TILE_WIDTH
        return encode_bundle(self.ctx.store.ledger.entries(start, start + tile.width))

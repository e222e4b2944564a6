"""The ledger as C2SP tlog-tiles on the user API, read-only, at ``/tlog/``:
``/tlog/checkpoint``, ``/tlog/tile/<L>/<N>[.p/<W>]`` and ``/tlog/tile/entries/<N>[.p/<W>]``.

Partners and auditors read it with their token and check it with any tlog client (the test
suite uses Go's ``golang.org/x/mod/sumdb/tlog`` and ``sumdb/note``); the origin and key are
in ``docs/formats/checkpoint.md``. The entry bundles are the ledger's entries, served only to
those the rules let see the ledger (JK-6.f), and never to be kept by their browser.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from gsomia.api._idempotency import NO_STORE
from gsomia.api.deps import PersonDep
from gsomia.services.node import Node
from gsomia.services.plumbing.tlog import LogTiles

__all__ = ["tlog_router"]

#: Hash tiles are the same for every reader and never change once full.
_IMMUTABLE = "private, max-age=31536000, immutable"


def tlog_router(node: Node) -> APIRouter:
    """The tlog-tiles routes of ``node``."""
    tiles = LogTiles(node.ctx)
    router = APIRouter(prefix="/tlog", tags=["audit"])

    @router.get("/checkpoint")
    def checkpoint(_p: PersonDep) -> Response:
        """The latest signed checkpoint (C2SP tlog-checkpoint, signed-note)."""
        return Response(
            tiles.checkpoint(),
            media_type="text/plain; charset=utf-8",
            headers={"Cache-Control": "no-store"},
        )

    @router.get("/tile/{path:path}")
    def tile(path: str, person: PersonDep) -> Response:
        """A hash tile, or an entry bundle for those who may see the ledger (C2SP
        tlog-tiles)."""
        data = tiles.tile(f"tile/{path}", viewer=person.id)
        kept = NO_STORE if tiles.decided(f"tile/{path}") else _IMMUTABLE
        return Response(
            data, media_type="application/octet-stream", headers={"Cache-Control": kept}
        )

    return router

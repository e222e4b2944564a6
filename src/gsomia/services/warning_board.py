"""The missile warnings a node holds, with their stream's label, for its own consumers.

The warning feed (:mod:`gsomia.services.feed`) is real time and keeps nothing; consumers
outside gsomia (a TAXII client, a TAK server) need the warnings the node holds now. The
board keeps, per track (originator and warning id), its latest :data:`VERSIONS` versions, and
the last :data:`TRACKS` tracks, in memory: warnings supersede each other within minutes
and matter only until impact (RT-2), so a restart losing them loses nothing the feed does
not resend. Listeners (the CoT feed) are called with each new version.

A warning's time ``t`` counts seconds from its originator's scenario epoch, which the wire
form does not carry; the board anchors it at arrival (``epoch = arrival - t``), so the state
time of the newest version is the instant it arrived here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from gsomia.core.labels import Label
from gsomia.services.feed import FeedService
from gsomia.warning.tracking.sharing import SharedWarning

__all__ = ["TRACKS", "VERSIONS", "HeldWarning", "WarningBoard", "board_of"]

TRACKS = 10_000
_BOARD_LOCK = threading.Lock()
VERSIONS = 50


@dataclass(frozen=True, slots=True, kw_only=True)
class HeldWarning:
    """One version of a warning as this node holds it: ``epoch`` is the absolute time of
    its second 0, ``added_at`` when the node got it, ``seq`` its order on the board."""

    warning: SharedWarning
    label: Label
    epoch: datetime
    added_at: datetime
    seq: int

    @property
    def key(self) -> tuple[str, str]:
        """The track: originator and the originator's warning id."""
        return (self.warning.originator, self.warning.warning_id)


HeldListener = Callable[[HeldWarning], None]


class WarningBoard:
    """The latest versions of the latest tracks; thread-safe."""

    def __init__(self) -> None:
        self._tracks: OrderedDict[tuple[str, str], list[HeldWarning]] = OrderedDict()
        self._listeners: list[HeldListener] = []
        self._seq = 0
        self._lock = threading.Lock()

    def hold(self, warning: SharedWarning, label: Label, now: datetime) -> None:
        """Keep a new version of a warning and tell the listeners."""
        with self._lock:
            self._seq += 1
            held = HeldWarning(
                warning=warning,
                label=label,
                epoch=now - timedelta(seconds=warning.t),
                added_at=now,
                seq=self._seq,
            )
            versions = self._tracks.setdefault(held.key, [])
            versions.append(held)
            del versions[:-VERSIONS]
            self._tracks.move_to_end(held.key)
            while len(self._tracks) > TRACKS:
                self._tracks.popitem(last=False)
            listeners = list(self._listeners)
        for listener in listeners:
            listener(held)

    def listen(self, listener: HeldListener) -> None:
        """Call ``listener`` with every version held from now on."""
        with self._lock:
            self._listeners.append(listener)

    def versions(self) -> list[HeldWarning]:
        """Every version held, oldest first (by ``seq``)."""
        with self._lock:
            out = [v for versions in self._tracks.values() for v in versions]
        return sorted(out, key=lambda v: v.seq)


def board_of(feed: FeedService) -> WarningBoard:
    """The board of the node whose feed is ``feed``, made and attached on first use."""
    cache = feed.ctx.cache
    with _BOARD_LOCK:
        board = cache.get("warning_board")
        if not isinstance(board, WarningBoard):
            board = cache["warning_board"] = WarningBoard()
            feed.on_held_warning(board.hold)
    return board

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

import base64
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from gsomia.core.labels import Label
from gsomia.errors import GsomiaError, InputError
from gsomia.ports.bus import Bus
from gsomia.services.feed import FeedService
from gsomia.warning.tracking.sharing import SharedWarning

__all__ = ["TRACKS", "VERSIONS", "HeldWarning", "WarningBoard", "board_of", "held_subject"]

_logger = logging.getLogger(__name__)

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

    def follow(self, bus: Bus, subject: str) -> None:
        """Hold what another process of the node publishes on ``subject`` (see
        :func:`board_of`), the messages the bus still keeps first."""

        def take(payload: bytes) -> None:
            try:
                warning, label, at = decode_held(payload)
            except (GsomiaError, ValueError, KeyError, TypeError) as exc:
                _logger.warning("ignored a held warning on %s: %s", subject, exc)
                return
            self.hold(warning, label, at)

        bus.subscribe(subject, take, replay=True)


def held_subject(party: str) -> str:
    """The bus subject a node publishes the warnings it holds on, with their labels."""
    return f"gsomia.{party.lower()}.warnings.held"


def encode_held(held: HeldWarning) -> bytes:
    """A held warning for the node's own bus: the warning, its stream label, when held."""
    return json.dumps(
        {
            "label": base64.b64encode(held.label.canonical_bytes()).decode("ascii"),
            "warning": held.warning.to_dict(),
            "added_at": held.added_at.isoformat(),
        },
        separators=(",", ":"),
    ).encode()


def decode_held(payload: bytes) -> tuple[SharedWarning, Label, datetime]:
    """Read :func:`encode_held`; raises :class:`InputError` (or ValueError) when malformed."""
    data = json.loads(payload)
    if not isinstance(data, dict):
        raise InputError("a held warning is a JSON object")
    label = Label.from_bytes(base64.b64decode(str(data["label"]), validate=True))
    at = datetime.fromisoformat(str(data["added_at"]))
    return SharedWarning.from_dict(data["warning"]), label, at


def board_of(feed: FeedService) -> WarningBoard:
    """The board of the node whose feed is ``feed``, made and attached on first use; when
    the node has a bus, each warning held is also published on :func:`held_subject`."""
    cache = feed.ctx.cache
    with _BOARD_LOCK:
        board = cache.get("warning_board")
        if not isinstance(board, WarningBoard):
            board = cache["warning_board"] = WarningBoard()
            feed.on_held_warning(board.hold)
            bus = feed.bus
            if bus is not None:
                board.listen(_publisher(bus, held_subject(feed.ctx.party)))
    return board


def _publisher(bus: Bus, subject: str) -> HeldListener:
    def publish(held: HeldWarning) -> None:
        try:
            bus.publish(subject, encode_held(held))
        except GsomiaError as exc:  # the warning is held here all the same
            _logger.warning("could not publish a held warning on %s: %s", subject, exc)

    return publish

"""frame-v1: compact AEAD frames for small, frequent messages such as missile-warning tracks.

One stream carries frames from one sender to one recipient under one label. Its key is
derived once per epoch (a UTC day) from the pair's X25519 agreement, so a frame costs one
AES-256-GCM operation and no public-key work. The header names the pair's key ids, the
stream, the epoch and a 64-bit sequence number that forms the nonce and lets the receiver
refuse replays with a sliding window (as IPsec does, RFC 4303 §3.4.3). The label digest is
carried and authenticated, so a frame cannot be moved to another label. Overhead beyond the
32-byte label reference: 35 header bytes and a 16-byte tag. Layout: ``docs/formats/frame-v1.md``.

A nonce never repeats under one key: a sender never goes back to an older epoch, whatever
its clock does, and its sequence numbers only grow, across restarts too, because it reserves
them ahead in blocks that the caller records durably (:class:`FrameCounter`). A receiver
checks the tag first, then a frame's age against its own clock (the sequence number is never
below the microseconds elapsed in the epoch when the frame was sealed) and its replay window,
whose floor it also records durably (:class:`FrameFloor`), so a restart forgets nothing.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gsomia.core.labels import Label
from gsomia.crypto import _primitives as prim
from gsomia.crypto._envelope import check_holders
from gsomia.crypto._keys import KeyKind, Keyring, epoch_of
from gsomia.crypto._wire import fail
from gsomia.errors import ConflictError, InputError

__all__ = [
    "FRAME_MAGIC",
    "FRAME_OVERHEAD",
    "FrameCounter",
    "FrameFloor",
    "FrameReceiver",
    "FrameSender",
    "OpenedFrame",
    "ReplayWindow",
]

_logger = logging.getLogger(__name__)

FRAME_MAGIC = b"GF\x01"
_HEADER = struct.Struct(">3s8s8sIIQ32s")
#: Bytes a frame adds to its payload beyond the 32-byte label reference.
FRAME_OVERHEAD = _HEADER.size - 32 + prim.TAG_SIZE
_DAY_MICROSECONDS = 86_400_000_000
_MAX_STREAM = 2**32 - 1
_MAX_SEQUENCE = 2**63 - 1  # kept below 2**63 so that a signed 64-bit column records it
#: Sequence numbers a sender reserves at once (about 17 s of microseconds).
SENDER_BLOCK = 2**24
#: Sequence numbers above the highest accepted that a receiver's recorded floor covers
#: (about a second): after a restart it refuses at most this much of a live stream.
RECEIVER_BLOCK = 2**20
#: How old a frame may be, and how far ahead of the receiver's clock, by default.
MAX_AGE = timedelta(seconds=120)
MAX_AHEAD = timedelta(minutes=5)


class ReplayWindow:
    """A sliding window over 64-bit sequence numbers that refuses repeats and stale ones.

    The last ``size`` numbers below the highest accepted are remembered in a bitmap; anything
    older is refused (RFC 4303 §3.4.3). Refusals raise :class:`ConflictError`.
    """

    __slots__ = ("_bits", "_highest", "_size")

    def __init__(self, size: int = 1024) -> None:
        if size < 1:
            raise InputError("a replay window holds at least one sequence number")
        self._size = size
        self._highest = -1
        self._bits = 0

    @classmethod
    def above(cls, floor: int, size: int = 1024) -> ReplayWindow:
        """A window that refuses every sequence number up to ``floor`` (a restart's)."""
        window = cls(size)
        window._highest = floor
        window._bits = (1 << size) - 1
        return window

    def check(self, sequence: int) -> None:
        """Raise :class:`ConflictError` if ``sequence`` was accepted before or is too old."""
        if sequence > self._highest:
            return
        offset = self._highest - sequence
        if offset >= self._size or (self._bits >> offset) & 1:
            raise ConflictError(f"frame sequence {sequence} is a replay or too old")

    def accept(self, sequence: int) -> None:
        """Record ``sequence`` as seen; raises :class:`ConflictError` as :meth:`check` does."""
        self.check(sequence)
        if sequence > self._highest:
            shift = sequence - self._highest
            bits = (self._bits << shift) | 1 if shift < self._size else 1
            self._bits = bits & ((1 << self._size) - 1)
            self._highest = sequence
        else:
            self._bits |= 1 << (self._highest - sequence)


@dataclass(frozen=True, slots=True, kw_only=True)
class FrameCounter:
    """Where a stream's sender stands: its newest epoch and the highest sequence number it
    has reserved in it. Every number it has used is at most ``reserved``; a sender resumed
    from this continues above it."""

    epoch: int
    reserved: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FrameFloor:
    """What a receiver keeps of one stream across restarts: the newest epoch it accepted
    and a floor at or above every sequence number it accepted in it."""

    sender: str
    sender_key_id: bytes
    recipient_key_id: bytes
    stream_id: int
    epoch: int
    floor: int

    @property
    def stream(self) -> tuple[str, bytes, bytes, int]:
        """The stream this floor is for: sender, the two key ids, the stream id."""
        return (self.sender, self.sender_key_id, self.recipient_key_id, self.stream_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenedFrame:
    """A frame that verified: its label, sender, stream, epoch, sequence and payload."""

    label: Label
    sender: str
    stream_id: int
    epoch: int
    sequence: int
    payload: bytes


class FrameSender:
    """Seals the frames of one stream from this node to one recipient under one label.

    Sequence numbers are never below the microseconds elapsed in the epoch, count up by one
    per frame, and never go back: not within an epoch, not to an older epoch when the clock
    steps back (the sender stays in its newest epoch), and not across a restart, since a
    sender reserves numbers in blocks and ``reserve`` records each block durably before any
    number in it is used; ``counter`` resumes from the last one recorded. Raises
    :class:`InputError` if this node did not make the label, the label does not allow the
    recipient, or the stream id is out of range; :class:`~gsomia.errors.UnknownName` if the
    recipient has no registered key.
    """

    __slots__ = (
        "_aead",
        "_epoch",
        "_keyring",
        "_label",
        "_last",
        "_prefix",
        "_recipient",
        "_reserve",
        "_reserved",
        "_stream_id",
    )

    def __init__(
        self,
        *,
        keyring: Keyring,
        label: Label,
        recipient: str,
        stream_id: int,
        counter: FrameCounter | None = None,
        reserve: Callable[[FrameCounter], None] | None = None,
    ) -> None:
        if keyring.party != label.marker:
            raise InputError(f"{keyring.party} did not make this label and cannot send under it")
        check_holders(label, [recipient])
        if not 0 <= stream_id <= _MAX_STREAM:
            raise InputError("a stream id is a 32-bit unsigned integer")
        keyring._newest_public(label.agreement_id, recipient)
        self._keyring = keyring
        self._label = label
        self._recipient = recipient
        self._stream_id = stream_id
        self._reserve = reserve
        self._prefix = b""
        self._epoch = -1
        self._last = self._reserved = -1
        self._aead = prim.AEAD(bytes(prim.KEY_SIZE))
        if counter is not None:
            self._start_epoch(counter.epoch)
            self._last = self._reserved = counter.reserved

    @property
    def counter(self) -> FrameCounter:
        """Where this sender stands (what ``reserve`` last recorded)."""
        return FrameCounter(epoch=self._epoch, reserved=self._reserved)

    def seal_at(self, payload: bytes, *, now: datetime, sequence: int | None = None) -> bytes:
        """:meth:`seal` at a given time, optionally with a given sequence number (vectors).

        Raises :class:`ConflictError` if ``sequence`` is not above the last one sent, and
        whatever ``reserve`` raises (nothing is sealed then).
        """
        epoch = max(epoch_of(now), self._epoch)
        if epoch != self._epoch:
            self._start_epoch(epoch)
        if sequence is None:
            elapsed = int(now.timestamp() * 1_000_000) - epoch * _DAY_MICROSECONDS
            sequence = max(self._last + 1, elapsed)
        elif sequence <= self._last:
            raise ConflictError("frame sequence numbers must increase")
        if sequence > _MAX_SEQUENCE:
            raise ConflictError("the stream has used every sequence number of this epoch")
        if sequence > self._reserved:
            reserved = min(sequence + SENDER_BLOCK, _MAX_SEQUENCE)
            if self._reserve is not None:
                self._reserve(FrameCounter(epoch=epoch, reserved=reserved))
            self._reserved = reserved
        self._last = sequence
        header = self._prefix + struct.pack(">IIQ", self._stream_id, epoch, sequence)
        header += self._label.digest_bytes()
        nonce = struct.pack(">IQ", self._stream_id, sequence)
        return header + self._aead.encrypt(nonce, payload, header)

    def seal(self, payload: bytes, *, now: datetime | None = None) -> bytes:
        """One frame-v1 frame carrying ``payload``."""
        return self.seal_at(payload, now=datetime.now(UTC) if now is None else now)

    def _start_epoch(self, epoch: int) -> None:
        label = self._label
        own_kid = self._keyring.newest(KeyKind.ENCRYPTION).key_id
        peer_kid = self._keyring._newest_public(label.agreement_id, self._recipient)
        context = (
            label.agreement_id,
            epoch,
            self._keyring.party,
            own_kid,
            self._recipient,
            peer_kid,
        )
        self._aead = self._keyring._frame_aead(context, self._stream_id)
        self._prefix = FRAME_MAGIC + own_kid + peer_kid
        self._epoch = epoch
        self._last = self._reserved = -1


_Stream = tuple[str, bytes, bytes, int]


class FrameReceiver:
    """Opens frame-v1 frames addressed to this node, refusing replays and stale frames.

    Frames name their label by digest; a label is known once :meth:`accept_label` has been
    called with it, which the caller does only after verifying the label's binding. Checks
    run after the tag verifies, so a forged frame learns nothing but the opaque failure: a
    frame older than ``max_age`` or more than ``max_ahead`` ahead of this node's clock, from
    an epoch more than one behind the newest seen on its stream, or a sequence number seen
    before or below the window is refused with :class:`ConflictError`. ``floors`` restores
    the replay state recorded by ``record``, which is called (and must be durable) before a
    frame above the recorded floor is accepted.
    """

    __slots__ = (
        "_floors",
        "_keyring",
        "_labels",
        "_max_age",
        "_max_ahead",
        "_newest_epoch",
        "_record",
        "_window_size",
        "_windows",
    )

    def __init__(
        self,
        *,
        keyring: Keyring,
        window_size: int = 1024,
        max_age: timedelta = MAX_AGE,
        max_ahead: timedelta = MAX_AHEAD,
        floors: Iterable[FrameFloor] = (),
        record: Callable[[FrameFloor], None] | None = None,
    ) -> None:
        ReplayWindow(window_size)
        if max_age <= timedelta(0) or max_ahead < timedelta(0):
            raise InputError("a frame's age bound is positive")
        self._keyring = keyring
        self._window_size = window_size
        self._max_age = int(max_age.total_seconds() * 1_000_000)
        self._max_ahead = int(max_ahead.total_seconds() * 1_000_000)
        self._record = record
        self._labels: dict[bytes, Label] = {}
        self._windows: dict[tuple[_Stream, int], ReplayWindow] = {}
        self._newest_epoch: dict[_Stream, int] = {}
        self._floors: dict[tuple[_Stream, int], int] = {}
        for floor in floors:
            self._restore(floor)

    def _restore(self, floor: FrameFloor) -> None:
        stream = floor.stream
        if floor.epoch < self._newest_epoch.get(stream, -1):
            return
        self._newest_epoch[stream] = floor.epoch
        self._windows[stream, floor.epoch] = ReplayWindow.above(floor.floor, self._window_size)
        self._floors[stream, floor.epoch] = floor.floor

    def accept_label(self, label: Label) -> None:
        """Let frames under ``label`` be opened; raises :class:`InputError` if this node may
        not hold items under it."""
        check_holders(label, [self._keyring.party])
        self._labels[label.digest_bytes()] = label

    def open(self, frame: bytes, *, now: datetime | None = None) -> OpenedFrame:
        """Verify and decrypt one frame, as of ``now`` (default the system clock).

        Raises the opaque IntegrityError for anything that does not verify (unknown label
        or key, bad tag), then :class:`ConflictError` for a stale, early or replayed frame,
        and whatever ``record`` raises; the receiver's state changes only for a frame it
        returns.
        """
        if len(frame) < _HEADER.size + prim.TAG_SIZE or frame[:3] != FRAME_MAGIC:
            fail()
        _, sender_kid, own_kid, stream_id, epoch, sequence, digest = _HEADER.unpack_from(frame)
        label = self._labels.get(digest)
        if label is None or self._keyring._own(KeyKind.ENCRYPTION, own_kid) is None:
            fail()
        sender = label.marker
        context = (label.agreement_id, epoch, sender, sender_kid, self._keyring.party, own_kid)
        aead = self._keyring._frame_aead(context, stream_id)
        nonce = struct.pack(">IQ", stream_id, sequence)
        try:
            payload = aead.decrypt(nonce, frame[_HEADER.size :], frame[: _HEADER.size])
        except prim.InvalidTag:
            fail()
        stream = (sender, sender_kid, own_kid, stream_id)
        window = self._check(stream, epoch, sequence, now or datetime.now(UTC))
        self._accept(stream, epoch, sequence, window)
        return OpenedFrame(
            label=label,
            sender=sender,
            stream_id=stream_id,
            epoch=epoch,
            sequence=sequence,
            payload=payload,
        )

    def _check(self, stream: _Stream, epoch: int, sequence: int, now: datetime) -> ReplayWindow:
        """The stream's window for ``epoch`` once the frame's time and number pass."""
        sealed_by = epoch * _DAY_MICROSECONDS + sequence
        clock = int(now.timestamp() * 1_000_000)
        if clock - sealed_by > self._max_age:
            raise ConflictError("the frame is older than this node accepts")
        if sealed_by - clock > self._max_ahead:
            raise ConflictError("the frame is ahead of this node's clock")
        newest = self._newest_epoch.get(stream)
        if newest is not None and epoch < newest - 1:
            raise ConflictError(f"frame of epoch {epoch} is stale")
        window = self._windows.get((stream, epoch))
        if window is None:
            window = ReplayWindow(self._window_size)
        window.check(sequence)
        return window

    def _accept(self, stream: _Stream, epoch: int, sequence: int, window: ReplayWindow) -> None:
        """Move the stream's state past ``sequence``, recording a new floor first."""
        if sequence > self._floors.get((stream, epoch), -1):
            floor = min(sequence + RECEIVER_BLOCK, _MAX_SEQUENCE)
            if self._record is not None:
                sender, sender_kid, own_kid, stream_id = stream
                self._record(
                    FrameFloor(
                        sender=sender,
                        sender_key_id=sender_kid,
                        recipient_key_id=own_kid,
                        stream_id=stream_id,
                        epoch=epoch,
                        floor=floor,
                    )
                )
            self._floors[stream, epoch] = floor
        self._windows[stream, epoch] = window
        window.accept(sequence)
        newest = self._newest_epoch.get(stream)
        if newest is None or epoch > newest:
            self._newest_epoch[stream] = epoch
            for old in [k for k in self._windows if k[0] == stream and k[1] < epoch - 1]:
                del self._windows[old]
                self._floors.pop(old, None)

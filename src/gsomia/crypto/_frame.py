"""frame-v1: compact AEAD frames for small, frequent messages such as missile-warning tracks.

One stream carries frames from one sender to one recipient under one label. Its key is
derived once per epoch (a UTC day) from the pair's X25519 agreement, so a frame costs one
AES-256-GCM operation and no public-key work. The header names the pair's key ids, the
stream, the epoch and a 64-bit sequence number that forms the nonce and lets the receiver
refuse replays with a sliding window (as IPsec does, RFC 4303 §3.4.3). The label digest is
carried and authenticated, so a frame cannot be moved to another label. Overhead beyond the
32-byte label reference: 35 header bytes and a 16-byte tag. Layout: ``docs/formats/frame-v1.md``.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from gsomia.core.labels import Label
from gsomia.crypto import _primitives as prim
from gsomia.crypto._envelope import check_holders
from gsomia.crypto._keys import KeyKind, Keyring, epoch_of
from gsomia.crypto._wire import fail
from gsomia.errors import ConflictError, InputError

__all__ = [
    "FRAME_MAGIC",
    "FRAME_OVERHEAD",
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
_MAX_SEQUENCE = 2**64 - 1


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

    Sequence numbers start at the microseconds elapsed in the epoch and then count up, so a
    sender that restarts never reuses a nonce as long as its clock does not step back and it
    sends fewer than a million frames a second on average. Raises :class:`InputError` if this
    node did not make the label, the label does not allow the recipient, or the stream id is
    out of range; :class:`~gsomia.errors.UnknownName` if the recipient has no registered key.
    """

    __slots__ = (
        "_aead",
        "_epoch",
        "_keyring",
        "_label",
        "_last",
        "_prefix",
        "_recipient",
        "_stream_id",
    )

    def __init__(self, *, keyring: Keyring, label: Label, recipient: str, stream_id: int) -> None:
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
        self._prefix = b""
        self._epoch = -1
        self._last = -1
        self._aead = prim.AEAD(bytes(prim.KEY_SIZE))

    def seal_at(self, payload: bytes, *, now: datetime, sequence: int | None = None) -> bytes:
        """:meth:`seal` at a given time, optionally with a given sequence number (vectors).

        Raises :class:`ConflictError` if ``sequence`` is not above the last one sent.
        """
        epoch = epoch_of(now)
        if epoch != self._epoch:
            self._start_epoch(epoch)
        if sequence is None:
            elapsed = int(now.timestamp() * 1_000_000) % _DAY_MICROSECONDS
            sequence = max(self._last + 1, elapsed)
        elif sequence <= self._last:
            raise ConflictError("frame sequence numbers must increase")
        if sequence > _MAX_SEQUENCE:
            raise ConflictError("the stream has used every sequence number of this epoch")
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
        self._last = -1


class FrameReceiver:
    """Opens frame-v1 frames addressed to this node, refusing replays.

    Frames name their label by digest; a label is known once :meth:`accept_label` has been
    called with it, which the caller does only after verifying the label's binding. A frame
    from an epoch more than one behind the newest seen on its stream is refused as stale.
    """

    __slots__ = ("_keyring", "_labels", "_newest_epoch", "_window_size", "_windows")

    def __init__(self, *, keyring: Keyring, window_size: int = 1024) -> None:
        ReplayWindow(window_size)
        self._keyring = keyring
        self._window_size = window_size
        self._labels: dict[bytes, Label] = {}
        self._windows: dict[tuple[object, ...], ReplayWindow] = {}
        self._newest_epoch: dict[tuple[object, ...], int] = {}

    def accept_label(self, label: Label) -> None:
        """Let frames under ``label`` be opened; raises :class:`InputError` if this node may
        not hold items under it."""
        check_holders(label, [self._keyring.party])
        self._labels[label.digest_bytes()] = label

    def open(self, frame: bytes) -> OpenedFrame:
        """Verify and decrypt one frame.

        Raises :class:`ConflictError` for a replayed or stale sequence number, and the opaque
        IntegrityError for anything else that does not verify (unknown label or key, bad tag).
        """
        if len(frame) < _HEADER.size + prim.TAG_SIZE or frame[:3] != FRAME_MAGIC:
            fail()
        _, sender_kid, own_kid, stream_id, epoch, sequence, digest = _HEADER.unpack_from(frame)
        label = self._labels.get(digest)
        if label is None or self._keyring._own(KeyKind.ENCRYPTION, own_kid) is None:
            fail()
        sender = label.marker
        stream = (sender, sender_kid, own_kid, stream_id)
        newest = self._newest_epoch.get(stream)
        if newest is not None and epoch < newest - 1:
            raise ConflictError(f"frame of epoch {epoch} is stale")
        window = self._windows.get((stream, epoch))
        if window is not None:
            window.check(sequence)
        context = (label.agreement_id, epoch, sender, sender_kid, self._keyring.party, own_kid)
        aead = self._keyring._frame_aead(context, stream_id)
        nonce = struct.pack(">IQ", stream_id, sequence)
        try:
            payload = aead.decrypt(nonce, frame[_HEADER.size :], frame[: _HEADER.size])
        except prim.InvalidTag:
            fail()
        # State changes only after the tag verified, so forged frames cannot move windows.
        if window is None:
            window = self._windows[stream, epoch] = ReplayWindow(self._window_size)
        window.accept(sequence)
        if newest is None or epoch > newest:
            self._newest_epoch[stream] = epoch
            for old in [k for k in self._windows if k[0] == stream and k[1] < epoch - 1]:
                del self._windows[old]
        return OpenedFrame(
            label=label,
            sender=sender,
            stream_id=stream_id,
            epoch=epoch,
            sequence=sequence,
            payload=payload,
        )

"""The real-time missile-warning feed: sealed compact frames along the agreement's route.

A stream is opened by providing its announcement through the custody workflow: an item
(topic ``nk-missile`` unless its opener names another, purpose ``missile-warning stream``)
decided by the rules, sealed, bound, recorded and received like any other. Its label is the
stream's label: each warning then travels as a frame-v1 frame under it (AES-256-GCM with a
pairwise key of the day, the label digest authenticated, replays refused), carrying only the
three elements the 2023 mechanism shares (launch point, trajectory state, predicted impact
point with its uncertainty and times: RT-1), only between detection and impact (RT-2),
nothing of the sender's sensors (RT-3), through the US node where the agreement routes so
(RT-4, TI-2).

Frames are real time and superseding: they are sent at once (not through the durable
outbox) and a lost frame is replaced by the next one. What must outlive a restart is kept in
the store: a sender's reserved sequence numbers and a receiver's replay floors (so no nonce
repeats and no frame is accepted twice), and the stream labels are learnt again from the
announcements held here. Warnings fanned out on the node's bus are sealed for the node
alone (local-v1): the bus keeps no plaintext. A hub relays a stream's frames only
once it has forwarded the stream's announcement, i.e. after the originator's consent where
the agreement requires one (TI-3); it cannot open them unless it is a holder. The ledger
records each stream's announcement (through custody) and, per batch, how many frames were
shared or received.
"""

from __future__ import annotations

import json
import logging
import struct
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from gsomia.core.agreements import Agreement
from gsomia.core.labels import Label
from gsomia.core.rules import Act, WarningRequest
from gsomia.crypto import (
    FrameCounter,
    FrameFloor,
    FrameReceiver,
    FrameSender,
    open_local,
    seal_local,
)
from gsomia.errors import GsomiaError, InputError, IntegrityError, UnknownName
from gsomia.formats.streams import stream_descriptor
from gsomia.ledger.entries import Event
from gsomia.ports.bus import Bus
from gsomia.ports.store import FrameState, ItemState
from gsomia.ports.transport import PeerTransport
from gsomia.services.acts.custody import CustodyService, Provision
from gsomia.services.plumbing.context import NodeContext
from gsomia.warning.tracking.sharing import SharedWarning

__all__ = [
    "BUNDLE_MAGIC",
    "STREAM_PURPOSE",
    "STREAM_TOPIC",
    "FeedService",
    "Stream",
    "frame_id",
]

_logger = logging.getLogger(__name__)

BUNDLE_MAGIC = b"GW\x01"
STREAM_PURPOSE = "missile-warning stream"
#: The topic a stream is provided under unless its opener names another: the need to know
#: (JK-7.2) a recipient's officials must hold to see it.
STREAM_TOPIC = "nk-missile"
_LEN = struct.Struct(">H")
_MAX_FRAMES = 4096
_SENDER, _RECEIVER = "sender", "receiver"
_STREAM_STATES = (ItemState.HELD, ItemState.RELAYING, ItemState.FORWARDED)

#: Called on the final recipient with each warning received, and the wall-clock-free
#: instant it arrived (the node's clock).
WarningSink = Callable[[SharedWarning, datetime], None]
#: Called with each warning this node holds (opened as final recipient, or published as
#: originator), the label of its stream and the instant (the node's clock).
HeldSink = Callable[[SharedWarning, Label, datetime], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Stream:
    """An open outgoing stream: its label (the announcement item's), route and id."""

    stream_id: int
    label: Label
    route: tuple[str, ...]


class FeedService:
    """Opens warning streams, sends frames, relays them as a hub, opens them as recipient."""

    def __init__(
        self,
        ctx: NodeContext,
        custody: CustodyService,
        transport: Callable[[], PeerTransport | None],
    ) -> None:
        self.ctx = ctx
        self._custody = custody
        self._transport = transport
        self._senders: dict[int, FrameSender] = {}
        self._receiver: FrameReceiver | None = None
        self._routes: dict[bytes, tuple[str, ...]] = {}
        self._sinks: list[WarningSink] = []
        self._held: list[HeldSink] = []
        self._pending_forward: list[str] = []
        self._relay_ok: set[bytes] = set()
        #: Where received warnings fan out to this node's own consumers (API workers,
        #: consoles): subject ``gsomia.<party>.warnings``, payload the warning's JSON.
        self.bus: Bus | None = None
        #: Forwards a relaying announcement as the hub (set by the node to its consent
        #: service, acting as ``duty_officer``); used where the agreement itself is the
        #: originators' standing approval (the 2023 mechanism), so no consent is awaited.
        self.forward: Callable[[str], str] | None = None
        self._lock = threading.Lock()
        self._restored = False
        self.counts = {"sent": 0, "received": 0, "relayed": 0, "dropped": 0}

    @property
    def subject(self) -> str:
        """The bus subject this node's received warnings are published on, sealed for this
        node alone (:meth:`open_published` opens them)."""
        return f"gsomia.{self.ctx.party.lower()}.warnings"

    def open_published(self, sealed: bytes) -> SharedWarning:
        """A warning as this node published it on its bus; raises :class:`IntegrityError`
        for anything this node did not seal for that subject."""
        payload = open_local(keyring=self.ctx.keyring, purpose=self.subject, sealed=sealed)
        return SharedWarning.from_dict(json.loads(payload))

    def on_warning(self, sink: WarningSink) -> None:
        """Call ``sink`` with every warning this node receives as final recipient."""
        self._sinks.append(sink)

    def on_held_warning(self, sink: HeldSink) -> None:
        """Call ``sink`` with every warning this node holds, with its stream's label: those
        it opens as final recipient and those it publishes as originator."""
        self._held.append(sink)

    def _hold(self, warnings: Sequence[SharedWarning], label: Label, now: datetime) -> None:
        for warning in warnings:
            for sink in self._held:
                sink(warning, label, now)

    # Sending -------------------------------------------------------------------------------

    def open_stream(
        self,
        *,
        recipient: str,
        level: str,
        by: str,
        agreement_id: str | None = None,
        topic: str = STREAM_TOPIC,
    ) -> Stream:
        """Announce a stream to ``recipient`` through the custody workflow (rules, seal, bind,
        ledger, outbox); deliver the announcement before sending frames.

        Raises :class:`PolicyDenied` (recorded) when no agreement allows the provision.
        """
        stream_id = int(self.ctx.ids.new_id()[-8:], 16)  # the random end of the id
        descriptor = stream_descriptor(stream_id)
        result = self._custody.provide(
            contents=[descriptor],
            provision=Provision(
                recipient=recipient,
                level=level,
                topic=topic,
                purpose=STREAM_PURPOSE,
                agreement_id=agreement_id,
            ),
            by=by,
        )
        with self.ctx.store.read() as uow:
            (record,) = [lb for lb in uow.labels(result.item_ids[0]) if lb.revision == 1]
        label = Label.from_bytes(record.label)
        sender = FrameSender(
            keyring=self.ctx.keyring,
            label=label,
            recipient=recipient,
            stream_id=stream_id,
            reserve=self._reserver(stream_id, label.item_id),
        )
        with self._lock:
            self._senders[stream_id] = sender
        return Stream(stream_id=stream_id, label=label, route=result.route)

    def resume_stream(self, stream_id: int) -> Stream:
        """Continue an outgoing stream after a restart, above every sequence number it
        used before. Raises :class:`UnknownName` for a stream this node never opened."""
        with self.ctx.store.read() as uow:
            recorded = {s.stream: s for s in uow.frame_states(_SENDER)}
            state = recorded.get(str(stream_id))
            if state is None or state.item_id is None:
                raise UnknownName(kind="warning stream", name=str(stream_id))
            (row,) = [lb for lb in uow.labels(state.item_id) if lb.revision == 1]
        label = Label.from_bytes(row.label)
        sender = FrameSender(
            keyring=self.ctx.keyring,
            label=label,
            recipient=label.route[-1],
            stream_id=stream_id,
            counter=FrameCounter(epoch=state.epoch, reserved=state.value),
            reserve=self._reserver(stream_id, label.item_id),
        )
        with self._lock:
            self._senders[stream_id] = sender
        return Stream(stream_id=stream_id, label=label, route=label.route)

    def _reserver(self, stream_id: int, item_id: str) -> Callable[[FrameCounter], None]:
        """Records a sender's reservations durably, before it uses the numbers."""

        def reserve(counter: FrameCounter) -> None:
            state = FrameState(
                role=_SENDER,
                stream=str(stream_id),
                item_id=item_id,
                epoch=counter.epoch,
                value=counter.reserved,
            )
            with self.ctx.store.unit_of_work() as uow:
                uow.put_frame_state(state)

        return reserve

    def publish(self, stream: Stream, warnings: Sequence[SharedWarning]) -> int:
        """Seal ``warnings`` as frames and send them to the next hop now; how many were sent.

        Warnings whose impact time has passed are not sent (RT-2). Raises
        :class:`TransportError` when the next hop cannot be reached (the frames are dropped:
        the next publication supersedes them).
        """
        now = self.ctx.clock.now()
        with self._lock:
            sender = self._senders.get(stream.stream_id)
        if sender is None:
            raise InputError(f"stream {stream.stream_id} is not open on this node")
        agreement = self.ctx.agreement(stream.label.agreement_id)
        shared = [w for w in warnings if self._may_share(agreement, w)]
        frames = [sender.seal(_encode(w), now=now) for w in shared]
        if not frames:
            return 0
        self._send(stream.route[1], frames)
        self.counts["sent"] += len(frames)
        self._hold(shared, stream.label, now)
        return len(frames)

    def _may_share(self, agreement: Agreement, warning: SharedWarning) -> bool:
        """Whether the rules let this warning go on the link (RT-1 payload, RT-2 window,
        RT-3 no sensor identity); a warning they refuse is not sent."""
        request = WarningRequest(
            agreement=agreement,
            fields=_fields(warning),
            t=warning.t,
            impact_t=warning.impact.t if warning.impact is not None else None,
            sensor_identity=False,
        )
        return self.ctx.rulebook.decide(Act.SHARE_WARNING, request).allowed

    def _send(self, destination: str, frames: Sequence[bytes]) -> None:
        transport = self._transport()
        if transport is None:
            raise InputError("this node has no transport to its partners")
        transport.send(destination, bundle(self.ctx.party, frames))

    # Receiving and relaying ----------------------------------------------------------------

    def accept(self, labels: Sequence[Label]) -> None:
        """Learn the labels of stream announcements this node received (custody calls this):
        as final recipient it may then open their frames, as hub relay them."""
        self._learn(labels, forward=True)

    def _learn(self, labels: Sequence[Label], *, forward: bool) -> None:
        for label in labels:
            if label.purpose != STREAM_PURPOSE:
                continue
            with self._lock:
                self._routes[label.digest_bytes()] = label.route
                if forward and self._standing_approval(label):
                    self._pending_forward.append(label.item_id)
                if label.route[-1] == self.ctx.party:
                    if self._receiver is None:
                        self._receiver = self._new_receiver()
                    self._receiver.accept_label(label)

    def _new_receiver(self) -> FrameReceiver:
        """A receiver that starts from the replay floors recorded before a restart."""
        with self.ctx.store.read() as uow:
            floors = [_floor_of(state) for state in uow.frame_states(_RECEIVER)]
        return FrameReceiver(keyring=self.ctx.keyring, floors=floors, record=self._record)

    def _record(self, floor: FrameFloor) -> None:
        state = FrameState(
            role=_RECEIVER, stream=_stream_key(floor), epoch=floor.epoch, value=floor.floor
        )
        with self.ctx.store.unit_of_work() as uow:
            uow.put_frame_state(state)

    def restore(self) -> None:
        """Learn again, after a restart, the labels of the stream announcements held here
        (as received), so their frames are opened or relayed; done once, on the first
        bundle."""
        labels: list[Label] = []
        with self.ctx.store.read() as uow:
            for state in _STREAM_STATES:
                after = ""
                while page := uow.items(state=state, limit=500, after=after):
                    for record in page:
                        if record.purpose == STREAM_PURPOSE:
                            first = [lb for lb in uow.labels(record.id) if lb.revision == 1]
                            labels += [Label.from_bytes(lb.label) for lb in first]
                    after = page[-1].id
        self._learn(labels, forward=False)
        self._restored = True

    def _standing_approval(self, label: Label) -> bool:
        """Whether this hub forwards the stream at once: the agreement needs no consent."""
        if self.ctx.party not in label.route[1:-1]:
            return False
        agreement = self.ctx.agreements.agreements.get(label.agreement_id)
        return agreement is not None and not agreement.route.consent_required

    def settle(self) -> None:
        """Forward the announcements received under a standing approval (after their
        transfer committed)."""
        with self._lock:
            pending, self._pending_forward = self._pending_forward, []
        for item_id in pending:
            if self.forward is None:
                _logger.warning("no duty officer to forward warning stream %s", item_id)
                continue
            try:
                self.forward(item_id)
            except GsomiaError as exc:
                _logger.warning("could not forward warning stream %s: %s", item_id, exc)

    def receive(self, payload: bytes, *, peer: str | None) -> bytes:
        """Handle a bundle of frames: open those addressed here, relay the others.

        Raises :class:`IntegrityError` for a malformed bundle; frames that do not open, are
        replayed or whose stream may not be relayed are dropped and counted.
        """
        sender, frames = unbundle(payload)
        if peer is not None and peer != sender:
            raise IntegrityError(f"the channel authenticated {peer}, not {sender}")
        if not self._restored:
            self.restore()
        now = self.ctx.clock.now()
        onward: dict[str, list[bytes]] = {}
        opened: list[SharedWarning] = []
        labels: list[Label] = []
        frame_ids: list[str] = []
        for frame in frames:
            route = self._routes.get(frame[35:67]) if len(frame) > 67 else None
            if route is None or self.ctx.party not in route[1:]:
                self.counts["dropped"] += 1
                continue
            if route[-1] == self.ctx.party:
                got = self._open(frame)
                if got is not None:
                    opened.append(got[0])
                    labels.append(got[1])
                    frame_ids.append(frame_id(frame))
            elif self._may_relay(frame[35:67]):
                onward.setdefault(route[route.index(self.ctx.party) + 1], []).append(frame)
            else:
                self.counts["dropped"] += 1
        for destination, relayed in onward.items():
            self._send(destination, relayed)
            self.counts["relayed"] += len(relayed)
        for warning, label, fid in zip(opened, labels, frame_ids, strict=True):
            for sink in self._sinks:
                sink(warning, now)
            if self.bus is not None:
                sealed = seal_local(
                    keyring=self.ctx.keyring, purpose=self.subject, payload=_encode(warning)
                )
                self.bus.publish(self.subject, sealed, msg_id=fid)
            self._hold([warning], label, now)
        self.counts["received"] += len(opened)
        return b"ok"

    def _open(self, frame: bytes) -> tuple[SharedWarning, Label] | None:
        receiver = self._receiver
        if receiver is None:
            return None
        try:
            opened = receiver.open(frame, now=self.ctx.clock.now())
            return SharedWarning.from_dict(json.loads(opened.payload)), opened.label
        except (GsomiaError, ValueError, KeyError, TypeError) as exc:
            self.counts["dropped"] += 1
            _logger.info("dropped a warning frame: %s", type(exc).__name__)
            return None

    def _may_relay(self, digest: bytes) -> bool:
        """A hub relays a stream once it has forwarded its announcement (after consent);
        once known, the answer is kept (a forwarded announcement is never unforwarded)."""
        if digest in self._relay_ok:
            return True
        if self._forwarded(digest):
            self._relay_ok.add(digest)
            return True
        return False

    def _forwarded(self, digest: bytes) -> bool:
        with self.ctx.store.read() as uow:
            for record in uow.items(state=ItemState.FORWARDED, limit=1000):
                if record.purpose == STREAM_PURPOSE and _digest_of(uow, record.id) == digest:
                    return True
            for record in uow.items(state=ItemState.HELD, limit=1000):
                if (
                    record.purpose == STREAM_PURPOSE
                    and record.originator != self.ctx.party
                    and _digest_of(uow, record.id) == digest
                ):
                    return bool(uow.records("forward", item_id=record.id))
        return False

    def record_counts(self, *, agreement_id: str) -> None:
        """Append this node's frame counts since the last call to the ledger."""
        now = self.ctx.clock.now()
        with self._lock:
            sent, received = self.counts["sent"], self.counts["received"]
            self.counts["sent"] = self.counts["received"] = 0
        entries = []
        if sent:
            entries.append(
                self.ctx.entry(
                    event=Event.WARNING_SHARED, agreement_id=agreement_id, at=now, count=str(sent)
                )
            )
        if received:
            entries.append(
                self.ctx.entry(
                    event=Event.WARNING_RECEIVED,
                    agreement_id=agreement_id,
                    at=now,
                    count=str(received),
                )
            )
        if entries:
            with self.ctx.store.unit_of_work() as uow:
                self.ctx.record(uow, entries)


def _digest_of(uow: object, item_id: str) -> bytes:
    labels = uow.labels(item_id)  # type: ignore[attr-defined]
    first = [lb for lb in labels if lb.revision == 1]
    return bytes.fromhex(first[0].digest.removeprefix("sha256:")) if first else b""


def _fields(warning: SharedWarning) -> tuple[str, ...]:
    """The payload fields a warning carries, in the agreement files' words (RT-1)."""
    fields = ["trajectory", "times"]
    if warning.launch is not None:
        fields.append("launch_point")
    if warning.impact is not None:
        fields.append("impact_point")
    return tuple(fields)


def _stream_key(floor: FrameFloor) -> str:
    """A receiver stream's name in the store: sender, its key id, our key id, stream id."""
    return ":".join(
        (
            floor.sender,
            floor.sender_key_id.hex(),
            floor.recipient_key_id.hex(),
            str(floor.stream_id),
        )
    )


def _floor_of(state: FrameState) -> FrameFloor:
    sender, sender_kid, own_kid, stream_id = state.stream.split(":")
    return FrameFloor(
        sender=sender,
        sender_key_id=bytes.fromhex(sender_kid),
        recipient_key_id=bytes.fromhex(own_kid),
        stream_id=int(stream_id),
        epoch=state.epoch,
        floor=state.value,
    )


def frame_id(frame: bytes) -> str:
    """A warning frame's id: its header (the pair's keys, stream, epoch and sequence
    number, which never repeat), in hex; the bus de-duplicates by it."""
    return frame[:35].hex()


def _encode(warning: SharedWarning) -> bytes:
    return json.dumps(warning.to_dict(), separators=(",", ":")).encode()


def bundle(sender: str, frames: Sequence[bytes]) -> bytes:
    """``GW\\x01 | sender | count | (length | frame)*``: frames for one next hop."""
    if not 0 < len(frames) <= _MAX_FRAMES:
        raise InputError(f"a bundle holds 1 to {_MAX_FRAMES} frames")
    parts = [BUNDLE_MAGIC, sender.encode("ascii"), _LEN.pack(len(frames))]
    for frame in frames:
        parts += [_LEN.pack(len(frame)), frame]
    return b"".join(parts)


def unbundle(payload: bytes) -> tuple[str, list[bytes]]:
    """The sender and frames of a bundle; raises IntegrityError when it is malformed."""
    try:
        if payload[:3] != BUNDLE_MAGIC:
            raise ValueError("magic")
        sender = payload[3:6].decode("ascii")
        (count,) = _LEN.unpack_from(payload, 6)
        pos, frames = 8, []
        for _ in range(count):
            (size,) = _LEN.unpack_from(payload, pos)
            frames.append(payload[pos + 2 : pos + 2 + size])
            pos += 2 + size
        if pos != len(payload) or not frames or not sender.isupper():
            raise ValueError("length")
    except (ValueError, struct.error, UnicodeDecodeError):
        raise IntegrityError("malformed warning bundle") from None
    return sender, frames

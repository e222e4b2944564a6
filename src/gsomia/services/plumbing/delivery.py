"""Delivery: the outbox pump and the inbox, for exactly-once effect between nodes.

Sending: every message was written to the outbox in the unit of work of the act it
reports. :meth:`Delivery.pump` sends due messages through the transport; a signed reply
marks the message delivered (and, for a transfer, records the receipt); a failure schedules
a retry with exponential back-off. Receiving: :meth:`Delivery.handle` verifies a message,
answers a message id it has seen with the reply it stored then, and otherwise handles it and
remembers the reply in the same unit of work as its effects. A crash at any point therefore
leaves either nothing or everything, and a retry is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gsomia.errors import ConflictError, GsomiaError, InputError, IntegrityError, TransportError
from gsomia.formats.messages import Kind, Message, decode, encode
from gsomia.ports.store import InboxRecord, OutboxMessage, UnitOfWork
from gsomia.ports.transport import PeerTransport
from gsomia.records import ReceiptRecord
from gsomia.services.plumbing._batching import coalesce
from gsomia.services.plumbing.context import NodeContext, PartnerActRefused

__all__ = ["RECEIPT_KIND", "Delivery", "Handler", "PumpResult"]

_logger = logging.getLogger(__name__)

#: Workflow-record kind under which a sender keeps the receipts of its transfers.
RECEIPT_KIND = ReceiptRecord.KIND
_BASE_DELAY = timedelta(seconds=0.5)
#: Back-off stops growing here: a partner that comes back is served within this delay.
_MAX_DELAY = timedelta(seconds=10)
_MAX_ATTEMPTS = 1000

#: A handler does the effects of one message inside the inbox's unit of work and returns
#: the body of the reply.
Handler = Callable[[UnitOfWork, Message], dict[str, Any]]
#: A reply handler records what a partner's reply says, on the sender's side.
ReplyHandler = Callable[[UnitOfWork, OutboxMessage, Message], None]
#: Handlers that keep their own transactions (see :meth:`Delivery.on_outside`).
OutsideHandler = Callable[[Message], dict[str, Any]]
OutsideReplyHandler = Callable[[OutboxMessage, Message], None]
#: Told of each delivery: the partner, and how long each message it carried waited, in
#: seconds from being queued to its receipt (a batch's members each count).
DeliveredHook = Callable[[str, list[float]], None]


@dataclass(frozen=True, slots=True)
class PumpResult:
    """What one pump pass did."""

    delivered: int
    failed: int
    pending: int


class Delivery:
    """A node's outbox pump and inbox."""

    def __init__(self, ctx: NodeContext, transport: PeerTransport | None = None) -> None:
        self.ctx = ctx
        self.transport = transport
        self._handlers: dict[Kind, Handler] = {}
        self._outside: dict[Kind, OutsideHandler] = {}
        self._reply_handlers: dict[Kind, ReplyHandler] = {Kind.TRANSFER: self._keep_receipt}
        self._outside_replies: dict[Kind, OutsideReplyHandler] = {}
        #: Join queued transfers for one partner and agreement into batched transfers.
        self.batching = True
        self.on_delivered: list[DeliveredHook] = []

    def on(self, kind: Kind, handler: Handler) -> None:
        """Handle incoming messages of ``kind`` with ``handler``."""
        self._handlers[kind] = handler

    def on_outside(self, kind: Kind, handler: OutsideHandler) -> None:
        """Handle ``kind`` with a handler that keeps its own transactions (the ledger's
        witness state); the reply is remembered afterwards, so a redelivery after a crash may
        run it twice: such handlers MUST be idempotent."""
        self._outside[kind] = handler

    def on_outside_reply(self, kind: Kind, handler: OutsideReplyHandler) -> None:
        """Record replies to ``kind`` with a handler that keeps its own transactions; it
        MUST be idempotent (a redelivered reply runs it again)."""
        self._outside_replies[kind] = handler

    def on_reply(self, kind: Kind, handler: ReplyHandler) -> None:
        """Record replies to outgoing messages of ``kind`` with ``handler``."""
        self._reply_handlers[kind] = handler

    # Inbound -------------------------------------------------------------------------------

    def handle(self, blob: bytes, *, peer: str | None = None) -> bytes:
        """Handle one incoming message and return the signed reply.

        ``peer`` is the party the channel authenticated (the TLS client certificate); when
        given, the message's signer must be that party. Raises :class:`IntegrityError` for a
        message that does not verify, :class:`InputError` for a malformed one; nothing is
        stored in either case.
        """
        ctx = self.ctx
        now = ctx.clock.now()
        message = decode(ctx.keyring, blob, now=now)
        if peer is not None and peer != message.sender:
            raise IntegrityError(
                f"the channel authenticated {peer}, but the message is from {message.sender}"
            )
        with ctx.store.read() as uow:
            earlier = uow.inbox_reply(message.id, sender=message.sender)
        if earlier is not None:
            return earlier
        handler = self._handlers.get(message.kind)
        outside = self._outside.get(message.kind)
        if handler is None and outside is None:
            raise InputError(f"this node does not accept {message.kind} messages")
        body = outside(message) if outside is not None else {}
        try:
            with ctx.store.unit_of_work() as uow:
                if uow.inbox_reply(message.id, sender=message.sender) is not None:
                    raise ConflictError("handled concurrently")
                if handler is not None:
                    body = handler(uow, message)
                reply = self._reply(message, body, now)
                uow.remember(
                    InboxRecord(
                        id=message.id,
                        sender=message.sender,
                        kind=message.kind.value,
                        received_at=now,
                        reply=reply,
                    )
                )
        except ConflictError:
            with ctx.store.read() as uow:
                stored = uow.inbox_reply(message.id, sender=message.sender)
            if stored is None:
                raise
            return stored
        except PartnerActRefused as refused:
            with ctx.store.unit_of_work() as uow:
                ctx.record(uow, [refused.entry])
            raise
        return reply

    def _reply(self, message: Message, body: dict[str, Any], now: datetime) -> bytes:
        kind = Kind.RECEIPT if message.kind is Kind.TRANSFER else Kind.ACK
        reply = Message(
            id=self.ctx.ids.new_id(),
            kind=kind,
            sender=self.ctx.party,
            recipient=message.sender,
            agreement_id=message.agreement_id,
            sent_at=now,
            body={"in_reply_to": message.id, **body},
        )
        return encode(self.ctx.keyring, reply)

    # Outbound ------------------------------------------------------------------------------

    def _keep_receipt(self, uow: UnitOfWork, sent: OutboxMessage, reply: Message) -> None:
        """Keep a transfer's signed receipt: which items the partner accepted or refused."""
        accepted = reply.body.get("accepted", [])
        refused = reply.body.get("refused", [])
        receipt = ReceiptRecord(
            id=sent.id,
            state="refused" if refused and not accepted else "accepted",
            to=sent.destination,
            accepted=len(accepted) if isinstance(accepted, list) else 0,
            refused=tuple(refused) if isinstance(refused, list) else (),
        )
        self.ctx.put(uow, receipt, now=reply.sent_at)

    def counts(self) -> dict[str, int]:
        """Outgoing messages by delivery state."""
        with self.ctx.store.read() as uow:
            return uow.outbox_counts()

    def depth(self) -> dict[str, dict[str, int]]:
        """Messages not yet delivered, by partner and state (pending, batched, dead)."""
        with self.ctx.store.read() as uow:
            return uow.outbox_depth()

    def pump(self, *, limit: int = 100, destination: str | None = None) -> PumpResult:
        """Send the first ``limit`` due messages, transfers for one partner and agreement
        joined into batches (:mod:`gsomia.services.plumbing._batching`); returns how many messages
        were delivered or failed."""
        if self.transport is None:
            raise TransportError("this node has no transport to its partners")
        ctx = self.ctx
        with ctx.store.read() as uow:
            due = uow.due_messages(now=ctx.clock.now(), limit=limit, destination=destination)
        if self.batching and len(due) > 1:
            due = coalesce(ctx, due)
        delivered = failed = 0
        for message in due:
            if self._deliver(message):
                delivered += 1
            else:
                failed += 1
        with ctx.store.read() as uow:
            pending = uow.outbox_counts().get("pending", 0)
        return PumpResult(delivered=delivered, failed=failed, pending=pending)

    def drain(self, *, max_rounds: int = 1000) -> PumpResult:
        """Pump until nothing is due or a round delivers nothing."""
        total = PumpResult(0, 0, 0)
        for _ in range(max_rounds):
            result = self.pump()
            total = PumpResult(
                total.delivered + result.delivered, total.failed + result.failed, result.pending
            )
            if result.delivered == 0:
                break
        return total

    def _deliver(self, message: OutboxMessage) -> bool:
        ctx = self.ctx
        assert self.transport is not None  # checked by pump()
        try:
            reply_blob = self.transport.send(message.destination, message.body)
        except InputError as exc:
            # The partner refused the message for good (400, 413, 415...). A transfer is
            # self-contained, so sending it again cannot help: it is dead-lettered at once.
            # Other kinds may wait on an earlier message and are retried.
            self._retry(message, exc, dead=message.kind == Kind.TRANSFER.value)
            return False
        except GsomiaError as exc:
            self._retry(message, exc)
            return False
        try:
            reply = decode(ctx.keyring, reply_blob, now=ctx.clock.now())
            if reply.sender != message.destination or reply.body.get("in_reply_to") != message.id:
                raise IntegrityError("the reply does not answer this message")
        except GsomiaError as exc:
            self._retry(message, exc)
            return False
        outside = self._outside_replies.get(Kind(message.kind))
        if outside is not None:
            outside(message, reply)
        handler = self._reply_handlers.get(Kind(message.kind))
        with ctx.store.unit_of_work() as uow:
            if handler is not None:
                handler(uow, message, reply)
            members = uow.batch_members(message.id) if message.kind == Kind.TRANSFER else []
            uow.mark_delivered([message.id])
        if self.on_delivered:
            now = ctx.clock.now()
            waited = [(now - m.created_at).total_seconds() for m in members or [message]]
            for hook in self.on_delivered:
                hook(message.destination, waited)
        return True

    def _retry(self, message: OutboxMessage, exc: Exception, *, dead: bool = False) -> None:
        attempts = message.attempts + 1
        delay = min(_BASE_DELAY * (2 ** min(attempts - 1, 20)), _MAX_DELAY)
        dead = dead or attempts >= _MAX_ATTEMPTS
        if dead:
            _logger.warning(
                "delivery of %s %s to %s failed (%s); kept as a dead letter",
                message.kind,
                message.id,
                message.destination,
                exc,
            )
        else:
            _logger.info(
                "delivery of %s to %s failed (%s); retry in %s",
                message.id,
                message.destination,
                exc,
                delay,
            )
        with self.ctx.store.unit_of_work() as uow:
            uow.mark_retry(
                message.id,
                attempts=attempts,
                next_attempt_at=self.ctx.clock.now() + delay,
                error=f"{type(exc).__name__}: {exc}",
                dead=dead,
            )
            if dead and message.kind == Kind.TRANSFER.value:
                # A batch refused for good: its members travel alone, so one bad item
                # does not take the others down with it.
                uow.release_batch(message.id, alone=True)

"""Batched transfers: what the outbox holds for one partner under one agreement travels
together (JK-9.1: a transfer carries up to a thousand sealed items).

Each provision through the user API queues a transfer of its own, signed in the unit of
work of the act. When the pump finds several such transfers due for the same partner and
agreement, one after another in the queue, it joins them into one message-v2 transfer: the
members' envelopes and bindings are its parts, unchanged (each binding still carries its
provider's signature, which the partner checks), and the batch is signed now and queued
in the members' place, in one unit of work (:meth:`UnitOfWork.join_batch`). The batch is
then an ordinary outbox message: a retry resends the same bytes under the same id, so the
partner's inbox answers it with the reply it stored (exactly-once across a restart on
either side), and its receipt marks its members delivered.

Nothing waits to fill a batch: the pump joins only what is already due, so a lone item
leaves as soon as it would have, and a backlog leaves in as few transfers as the bounds
allow. Only plain transfers are joined (a body naming the item count, nothing else); a
transfer that carries consents or anything else, or that a refused batch sent back to
travel alone, keeps its own message. Every member's signature is checked before its parts
are re-signed, so a row written into the outbox behind the node's back is not signed by it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from gsomia.errors import ConflictError, GsomiaError
from gsomia.formats.messages import Kind, decode
from gsomia.ports.store import OutboxMessage
from gsomia.services.plumbing.context import NodeContext

__all__ = ["MAX_BATCH_BYTES", "MAX_BATCH_ITEMS", "coalesce"]

_logger = logging.getLogger(__name__)

#: At most this many items in one batched transfer (JK-9.1's thousand).
MAX_BATCH_ITEMS = 1000
#: At most this many bytes of parts in one batched transfer: half a partner's default
#: request limit (8 MiB), so a batch is never refused for its size.
MAX_BATCH_BYTES = 4 * 1024 * 1024


@dataclass
class _Run:
    """Consecutive plain transfers for one partner under one agreement."""

    destination: str
    agreement_id: str
    members: list[OutboxMessage] = field(default_factory=list)
    parts: list[bytes] = field(default_factory=list)
    size: int = 0

    def fits(self, agreement_id: str, parts: tuple[bytes, ...]) -> bool:
        return (
            agreement_id == self.agreement_id
            and (len(self.parts) + len(parts)) // 2 <= MAX_BATCH_ITEMS
            and self.size + sum(map(len, parts)) <= MAX_BATCH_BYTES
        )

    def add(self, message: OutboxMessage, parts: tuple[bytes, ...]) -> None:
        self.members.append(message)
        self.parts.extend(parts)
        self.size += sum(map(len, parts))


def _plain_transfer(ctx: NodeContext, message: OutboxMessage) -> tuple[str, tuple[bytes, ...]]:
    """The agreement and parts of a queued transfer that may join a batch; raises
    :class:`GsomiaError` for one that may not (or does not verify)."""
    if message.kind != Kind.TRANSFER.value or message.batch is not None:
        raise ConflictError("not a transfer that may be batched")
    sent = decode(ctx.keyring, message.body, outgoing=True)
    items = sent.body.get("items")
    if set(sent.body) != {"items"} or not sent.parts or isinstance(items, bool):
        raise ConflictError("a transfer that carries more than items travels alone")
    if items != len(sent.parts) // 2 or sent.recipient != message.destination:
        raise ConflictError("a transfer whose body does not count its parts travels alone")
    return sent.agreement_id, sent.parts


def coalesce(ctx: NodeContext, due: list[OutboxMessage]) -> list[OutboxMessage]:
    """``due`` (in queue order) with each run of plain transfers for the same partner and
    agreement replaced by one batched transfer, queued in the same unit of work that marks
    its members; the order of everything else is kept. A run of one is left as it is."""
    out: list[OutboxMessage | _Run] = []
    open_runs: dict[str, _Run] = {}
    for message in due:
        try:
            agreement_id, parts = _plain_transfer(ctx, message)
        except GsomiaError:
            # Anything else for this partner ends its run, so the order holds.
            open_runs.pop(message.destination, None)
            out.append(message)
            continue
        run = open_runs.get(message.destination)
        if run is None or not run.fits(agreement_id, parts):
            run = _Run(destination=message.destination, agreement_id=agreement_id)
            open_runs[message.destination] = run
            out.append(run)
        run.add(message, parts)
    sent = [_joined(ctx, x) if isinstance(x, _Run) else x for x in out]
    return [m for m in sent if m is not None]


def _joined(ctx: NodeContext, run: _Run) -> OutboxMessage | None:
    """The run's batched transfer, queued; the run's only member when it has one; None
    when the members changed meanwhile (what is still pending is batched next pass)."""
    if len(run.members) == 1:
        return run.members[0]
    now = ctx.clock.now()
    batch = ctx.outgoing(
        Kind.TRANSFER,
        run.destination,
        run.agreement_id,
        {"items": len(run.parts) // 2},
        now,
        parts=tuple(run.parts),
    )
    try:
        with ctx.store.unit_of_work() as uow:
            uow.join_batch(batch, [m.id for m in run.members])
    except ConflictError as exc:
        _logger.info("batch to %s not made: %s", run.destination, exc)
        return None
    return batch

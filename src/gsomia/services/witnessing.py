"""Cross-party witnessing: each node's partners cosign its checkpoints (C2SP tlog-witness).

The log side signs a checkpoint of its ledger and sends it, with a consistency proof from
the size each partner last cosigned, in a CHECKPOINT message. The witness side cosigns only
if the checkpoint extends what it cosigned before; a fork or rollback raises an alarm that a
person sees (``gsomia audit alarms``) and the message is refused. A witness that has moved
on (a retried or stale request) answers with the size it holds, and the log side asks again
from there. Both sides' ledger writes keep their own transactions, so these handlers are
registered outside the inbox's unit of work and are idempotent.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from typing import Any

from gsomia.core.people import Person
from gsomia.core.rules import Act, CheckpointRequest
from gsomia.errors import ConflictError, InputError, UnknownName
from gsomia.formats.messages import Kind, Message
from gsomia.ledger.checkpoint import Checkpoint, SignedNote
from gsomia.ports.store import OutboxMessage, UnitOfWork, WorkflowRecord
from gsomia.services.acts.custody import CustodyService
from gsomia.services.plumbing.audit import AuditService
from gsomia.services.plumbing.context import SYSTEM_ACTOR, NodeContext

__all__ = ["WITNESSED_KIND", "WitnessService"]

_logger = logging.getLogger(__name__)

#: Workflow-record kind: the size of this node's log a partner has cosigned.
WITNESSED_KIND = "witnessed-by"


class WitnessService:
    """Asks partners to cosign this node's checkpoints, and cosigns theirs."""

    def __init__(
        self, ctx: NodeContext, audit: Callable[[], AuditService], custody: CustodyService
    ) -> None:
        self.ctx = ctx
        self._audit = audit
        self._custody = custody

    def partners(self) -> dict[str, str]:
        """Each partner party whose keys this node has registered, and an agreement to
        exchange checkpoints under (binding first): a party it cannot reach is not asked."""
        registered = {(agreement_id, key.party) for agreement_id, key in self.ctx.keyring.partners}
        out: dict[str, str] = {}
        for agreement in sorted(self.ctx.files, key=lambda a: a.legal_nature != "binding"):
            for party in agreement.party_codes:
                if (
                    party != self.ctx.party
                    and self.ctx.party in agreement.party_codes
                    and (agreement.id, party) in registered
                ):
                    out.setdefault(party, agreement.id)
        return out

    def request(self, *, by: str) -> int:
        """Sign a checkpoint and queue a cosigning request to every partner that has not
        cosigned it; returns the checkpoint's size. ``by`` is the person asking, or
        :data:`SYSTEM_ACTOR` for the node itself (its upkeep, its operator); the rules decide
        (``Act.REQUEST_CHECKPOINT``, JK-6.f) and a refusal is recorded and raised as
        :class:`~gsomia.errors.PolicyDenied`."""
        self._decide(by)
        now = self.ctx.clock.now()
        audit = self._audit()
        audit.checkpoint(now=now)
        messages: list[OutboxMessage] = []
        with self.ctx.store.read() as uow:
            cosigned = {r.id: int(r.body["size"]) for r in uow.records(WITNESSED_KIND)}
        size = 0
        for party, agreement_id in self.partners().items():
            old = cosigned.get(party, 0)
            note, proof = audit.witness_request(old_size=min(old, audit.latest_size()))
            size = audit.latest_size()
            if old >= size:
                continue
            body = {
                "note": note,
                "old_size": old,
                "proof": [base64.b64encode(p).decode() for p in proof],
            }
            messages.append(self.ctx.outgoing(Kind.CHECKPOINT, party, agreement_id, body, now))
        if messages:
            with self.ctx.store.unit_of_work() as uow:
                uow.enqueue_many(messages)
        return size

    def _decide(self, by: str) -> None:
        ctx = self.ctx
        now = ctx.clock.now()
        person: Person | None = None
        if by != SYSTEM_ACTOR:
            with ctx.store.read() as uow:
                person = ctx.person(uow, by)
        # A refusal says what was asked for (``method``), as a refused view of the ledger,
        # decided by the same article, does not.
        ctx.decide_node(
            Act.REQUEST_CHECKPOINT,
            lambda a: CheckpointRequest(agreement=a, person=person, party=ctx.party, at=now),
            person=by,
            method="checkpoint",
        )

    def cosign(self, message: Message) -> dict[str, Any]:
        """The witness side: cosign a partner's checkpoint, or say what size it holds."""
        body = message.body
        try:
            note = str(body["note"])
            old_size = int(body["old_size"])
            proof = [base64.b64decode(p, validate=True) for p in body["proof"]]
        except (KeyError, TypeError, ValueError):
            raise InputError("checkpoint message: note, old_size and proof expected") from None
        audit = self._audit()
        checkpoint = Checkpoint.parse(SignedNote.parse(note).text)
        try:
            line = audit.cosign(note=note, old_size=old_size, proof=proof, now=self.ctx.clock.now())
        except ConflictError:
            return {"cosignature": None, "size": audit.witnessed_size(checkpoint.origin)}
        return {"cosignature": line, "size": checkpoint.size}

    def attach(self, sent: OutboxMessage, reply: Message) -> None:
        """The log side: store a partner's cosignature beside the checkpoint it signs."""
        line = reply.body.get("cosignature")
        if isinstance(line, str):
            size = int(reply.body["size"])
            try:
                self._audit().attach_cosignature(size=size, line=line)
            except UnknownName:
                _logger.warning("a cosignature for an unknown checkpoint size %d", size)

    def remember(self, uow: UnitOfWork, sent: OutboxMessage, reply: Message) -> None:
        """The log side: note the size the partner now holds of this node's log."""
        size = int(reply.body.get("size", 0))
        try:
            version = uow.record(WITNESSED_KIND, sent.destination).version + 1
        except UnknownName:
            version = 1
        uow.put_record(
            WorkflowRecord(
                kind=WITNESSED_KIND,
                id=sent.destination,
                state="cosigned",
                version=version,
                updated_at=reply.sent_at,
                body={"size": size},
            )
        )

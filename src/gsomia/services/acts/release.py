"""Release to a third party and the hub's forwarding, both resting on the originator's
written consent (JK-5.1, TI-2, TI-3, TI-6).

* **Release** (JK-5.1): a person with access to a held item, once the originator's consent
  is granted and verified, re-marks the item for the third party (a label version this node
  makes, under the agreement it shares with that party, at the party's equivalent level),
  seals it for that party only and sends it. The third party receives an item whose binding
  is signed by the releasing holder, not the originator.
* **Forward** (TI-2, TI-3): a hub holds an item in state RELAYING; its official who holds
  the ``forwarding`` authority forwards the original envelope and binding to the recipient
  once the originator consents (or at once, where the mechanism is itself the standing
  approval). A hub that is a holder keeps its own item key apart; the envelope it forwards
  carries no wrap for the hub.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gsomia.core.agreements import Agreement
from gsomia.core.classification import Level
from gsomia.core.decisions import Decision
from gsomia.core.items import ConsentKind
from gsomia.core.labels import Label
from gsomia.core.rules import Act, ForwardRequest, ReleaseRequest, SendRequest
from gsomia.crypto import Envelope, ItemKey, bind, open_stored, seal
from gsomia.errors import InputError, UnknownName
from gsomia.formats.messages import Kind, b64
from gsomia.ledger.entries import Event
from gsomia.ports.store import ItemRecord, ItemState, ReadView, UnitOfWork
from gsomia.records import ConsentRecord, ForwardRecord, ReleaseRecord
from gsomia.services.acts._consents import verified_consent
from gsomia.services.acts.custody import TRANSFER_CHUNK
from gsomia.services.plumbing.transfers import label_row
from gsomia.services.plumbing.workflow import Workflow, check_party

__all__ = ["FORWARD_KIND", "ReleaseService"]

_logger = logging.getLogger(__name__)

#: Workflow-record kind of a hub's forwarding.
FORWARD_KIND = ForwardRecord.KIND


class ReleaseService(Workflow):
    """Releases to third parties, and the hub's forwarding."""

    # Release to a third party --------------------------------------------------------------

    def release(self, *, item_id: str, to_party: str, by: str) -> str:
        """Release a held item to a third party with the originator's prior written consent
        (JK-5.1): re-marked for that party, sealed for it alone, sent under the agreement
        this node shares with it, by a person with access to the item who may provide it
        there. Returns the transfer id.

        Raises :class:`PolicyDenied` (recorded) without a granted, verified consent or when
        no agreement with ``to_party`` allows the transfer.
        """
        ctx = self.ctx
        now = ctx.clock.now()
        to_party = check_party(to_party, what="to")
        with ctx.store.read() as uow:
            record = self.held(uow, item_id)
            if to_party == self.party:
                raise InputError(f"{self.party} already holds {item_id}")
            person = self.person(uow, by)
            access = self.access(uow, record, person, now)
            consent, consent_id = verified_consent(
                self, uow, record, to_party=to_party, kind=ConsentKind.RELEASE
            )
            label = self.current_label(uow, record)
            item_key = uow.keys.get(record.id)
        request = ReleaseRequest(
            agreement=access.agreement,
            item=access.item,
            to_party=to_party,
            at=now,
            consent=consent,
            person=person,
            conditions=access.conditions,
        )
        decision = ctx.decide(
            Act.RELEASE, request, person=by, item_id=item_id, counterparty=to_party
        )
        channel, level = self._channel(record, to_party, now, person=person)
        released, body = self._resealed(
            record, label, item_key, channel=channel, level=level, to_party=to_party, now=now
        )
        body["release"] = {"consent": consent_id, "original_agreement": record.agreement_id}
        with ctx.store.unit_of_work() as uow:
            self.held(uow, item_id)
            message = ctx.outgoing(Kind.TRANSFER, to_party, channel.id, body, now)
            uow.enqueue(message)
            uow.add_label(label_row(released, released.digest(), now))
            kept = ReleaseRecord(
                id=message.id,
                state="released",
                to=to_party,
                agreement=channel.id,
                consent=consent_id,
                transfer=message.id,
                by=by,
                at=now.isoformat(),
            )
            ctx.put(uow, kept, now=now, item_id=item_id)
            entry = ctx.entry(
                event=Event.ITEM_RELEASED,
                agreement_id=record.agreement_id,
                at=now,
                person=by,
                item_id=item_id,
                decision=decision,
                counterparty=to_party,
                consent=consent_id,
                label=released.digest(),
                transfer=message.id,
            )
            ctx.record(uow, [entry])
        return message.id

    def _resealed(
        self,
        record: ItemRecord,
        label: Label,
        item_key: ItemKey,
        *,
        channel: Agreement,
        level: Level,
        to_party: str,
        now: datetime,
    ) -> tuple[Label, dict[str, Any]]:
        """The item re-marked by this node for ``to_party`` under ``channel`` (this node's and
        the third party's equivalent levels), sealed for that party alone and bound; the new
        label version and the transfer body."""
        keyring = self.ctx.keyring
        released = label.remark(
            by=self.party,
            agreement_id=channel.id,
            agreement_version=channel.version,
            equivalents=(
                (self.party, level.ref),
                (to_party, channel.equivalent(level, for_party=to_party).ref),
            ),
            releasable_to=(self.party, to_party),
            route=(self.party, to_party),
        )
        envelope = Envelope.from_bytes(record.ciphertext)
        content = open_stored(keyring=keyring, envelope=envelope, item_key=item_key)
        sealed = seal(keyring=keyring, plaintext=content, label=released, holders=(to_party,))
        (binding,) = bind(keyring=keyring, envelopes=[sealed])
        item = {"envelope": b64(sealed.to_bytes()), "binding": b64(binding.to_bytes())}
        return released, {"items": [item]}

    def _channel(
        self, record: ItemRecord, to_party: str, now: datetime, *, person: Any
    ) -> tuple[Agreement, Level]:
        """The agreement this node shares with ``to_party`` under which ``person`` may
        provide the item at this node's level (binding agreements first), and that level."""
        ctx = self.ctx
        level = ctx.files.schemes.parse(record.holder_level_ref, party=self.party)
        shared = [a for a in ctx.agreements.between(self.party, to_party) if a.kind != "mechanism"]
        if not shared:
            raise InputError(f"{self.party} shares no agreement with {to_party}")
        tried: list[tuple[Agreement, Decision]] = []
        for candidate in sorted(shared, key=lambda a: a.legal_nature != "binding"):
            decision = ctx.rulebook.decide(
                Act.SEND,
                SendRequest(
                    agreement=candidate,
                    originator=self.party,
                    recipient=to_party,
                    level=level,
                    topic=record.topic,
                    at=now,
                    person=person,
                ),
            )
            if decision.allowed:
                return candidate, level
            tried.append((candidate, decision))
        agreement, decision = tried[0]
        ctx.refuse(
            agreement.id, decision, person=person.id, item_id=record.id, counterparty=to_party
        )

    # Forwarding by the hub -----------------------------------------------------------------

    def forward(self, *, item_id: str, by: str) -> str:
        """Forward a relaying item to its recipient once the originator consented (TI-2,
        TI-3). Returns the transfer id.

        Raises :class:`PolicyDenied` (recorded) without a granted, verified consent, when
        ``by`` does not hold the forwarding authority or this node is not the agreement's
        hub; :class:`InputError` for an item that is not relaying here.
        """
        (transfer,) = self.forward_many(item_ids=[item_id], by=by)
        return transfer

    def forward_many(self, *, item_ids: Sequence[str], by: str) -> list[str]:
        """Forward relaying items to their recipients, each once its originator consented
        (TI-2, TI-3), in as few transfers as their recipients and agreements allow (at most
        :data:`TRANSFER_CHUNK` items each, JK-9.1). Returns the transfer ids.

        All or nothing: if any item may not be forwarded, each refusal is recorded and
        :class:`PolicyDenied` is raised with nothing forwarded. Raises :class:`InputError`
        for an empty list, an item named twice or one that is not relaying here.
        """
        if not item_ids:
            raise InputError("forward: no items named")
        if len(set(item_ids)) != len(item_ids):
            raise InputError("forward: an item is named twice")
        ctx = self.ctx
        now = ctx.clock.now()
        plans = self._forward_plans(item_ids, by, now)
        refused = [(plan, decision) for plan, decision in plans if not decision.allowed]
        if refused:
            ctx.refuse_all(
                [
                    (
                        plan.agreement_id,
                        decision,
                        {"person": by, "item_id": plan.record.id, "counterparty": plan.recipient},
                    )
                    for plan, decision in refused
                ],
                of=len(plans),
            )
        groups: dict[tuple[str, str], list[tuple[_Forward, Decision]]] = {}
        for plan, decision in plans:
            groups.setdefault((plan.recipient, plan.agreement_id), []).append((plan, decision))
        transfers: list[str] = []
        with ctx.store.unit_of_work() as uow:
            for (recipient, agreement_id), group in groups.items():
                for start in range(0, len(group), TRANSFER_CHUNK):
                    chunk = group[start : start + TRANSFER_CHUNK]
                    transfers.append(
                        self._forward_chunk(uow, recipient, agreement_id, chunk, by=by, now=now)
                    )
        return transfers

    def _forward_plans(
        self, item_ids: Sequence[str], by: str, now: datetime
    ) -> list[tuple[_Forward, Decision]]:
        """Each item's record, recipient and consent, and the rules' decision on it."""
        ctx = self.ctx
        plans: list[tuple[_Forward, Decision]] = []
        with ctx.store.read() as uow:
            person = self.person(uow, by)
            for item_id in item_ids:
                record = self.held(uow, item_id, ItemState.RELAYING)
                recipient = Envelope.from_bytes(record.ciphertext).label.route[-1]
                consent, consent_id = verified_consent(
                    self, uow, record, to_party=recipient, kind=ConsentKind.RELEASE
                )
                decision = ctx.rulebook.decide(
                    Act.FORWARD,
                    ForwardRequest(
                        agreement=ctx.agreement(record.agreement_id),
                        hub=self.party,
                        item=ctx.item_view(record),
                        recipient=recipient,
                        at=now,
                        consent=consent,
                        person=person,
                    ),
                )
                plan = _Forward(
                    record=record,
                    agreement_id=record.agreement_id,
                    recipient=recipient,
                    consent_id=consent_id,
                    consent=_document(ctx, uow, consent_id) if consent else b"",
                )
                plans.append((plan, decision))
        return plans

    def _forward_chunk(
        self,
        uow: UnitOfWork,
        recipient: str,
        agreement_id: str,
        chunk: Sequence[tuple[_Forward, Decision]],
        *,
        by: str,
        now: datetime,
    ) -> str:
        """One transfer of the original envelopes and bindings (message-v2), each item's
        custody moved on, its forward recorded and its ledger entry; returns the transfer id."""
        ctx = self.ctx
        parts = tuple(
            part for plan, _ in chunk for part in (plan.record.ciphertext, plan.record.binding)
        )
        body: dict[str, Any] = {"items": len(chunk)}
        consents = {plan.record.id: b64(plan.consent) for plan, _ in chunk if plan.consent}
        if consents:
            # The originator's signed consent travels with the items it covers, so that the
            # recipient checks it itself and a hub cannot relay without it (TI-3).
            body["consents"] = consents
        message = self.ctx.outgoing(Kind.TRANSFER, recipient, agreement_id, body, now, parts=parts)
        uow.enqueue(message)
        entries = []
        for plan, decision in chunk:
            item_id = plan.record.id
            self.held(uow, item_id, ItemState.RELAYING)  # not forwarded meanwhile
            try:
                uow.keys.get(item_id)
                # A hub that also holds the item keeps, once it has forwarded it, only the
                # at-rest form: the envelope it kept to forward still carries the other
                # holders' wraps, which a copy of this store must not hold (C7).
                at_rest = Envelope.from_bytes(plan.record.ciphertext).without_keys()
                uow.reseal_item(item_id, ciphertext=at_rest.to_bytes(), binding=plan.record.binding)
                uow.set_item_state(item_id, ItemState.HELD)
            except UnknownName:
                uow.erase_ciphertext(item_id)
                uow.set_item_state(item_id, ItemState.FORWARDED)
            forwarded = ForwardRecord(
                id=item_id,  # a hub forwards an item once
                state="forwarded",
                to=recipient,
                consent=plan.consent_id,
                by=by,
                at=now.isoformat(),
                transfer=message.id,
            )
            ctx.put(uow, forwarded, now=now, item_id=item_id)
            entries.append(
                ctx.entry(
                    event=Event.ITEM_FORWARDED,
                    agreement_id=agreement_id,
                    at=now,
                    person=by,
                    item_id=item_id,
                    decision=decision,
                    counterparty=recipient,
                    consent=plan.consent_id,
                    transfer=message.id,
                )
            )
        ctx.record(uow, entries)
        return message.id


@dataclass(frozen=True, slots=True, kw_only=True)
class _Forward:
    """What forwarding one relaying item needs."""

    record: ItemRecord
    agreement_id: str
    recipient: str
    consent_id: str | None
    consent: bytes = b""  # the originator's signed consent-v1, carried to the recipient


def _document(ctx: Any, uow: ReadView, consent_id: str | None) -> bytes:
    """The originator's signed consent document of request ``consent_id``."""
    if consent_id is None:
        return b""
    return ctx.get(uow, ConsentRecord, consent_id).document  # type: ignore[no-any-return]

"""Prior written consent of the originator; release to a third party; the hub's forwarding
(JK-5.1, JK-5.2, TI-2, TI-3, TI-6).

A holder asks the originator (``CONSENT_REQUEST``); the originator's official grants or
refuses, and the answer is a document the originator signs (``gsomia/consent-v1``) and
sends back (``CONSENT_DECISION``). The holder verifies the signature on arrival and again
when it relies on the consent, so the rules only ever see a consent whose signature was
checked.

* **Release** (JK-5.1): once consent is granted, the holder re-marks the item for the third
  party (a label version it makes, under the agreement it shares with that party, at the
  party's equivalent level), seals it for that party only and sends it. The third party
  receives an item whose binding is signed by the releasing holder, not the originator.
* **Forward** (TI-2, TI-3): a hub holds an item in state RELAYING and forwards the original
  envelope and binding to the recipient once the originator consents (or at once, where the
  mechanism is itself the standing approval). A hub that is a holder keeps its own item key
  apart; the envelope it forwards carries no wrap for the hub.
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
from gsomia.core.items import Consent, ConsentKind
from gsomia.core.labels import Label
from gsomia.core.rules import ForwardRequest, ReleaseRequest, SendRequest
from gsomia.crypto import Envelope, ItemKey, bind, open_stored, seal
from gsomia.errors import GsomiaError, InputError, PolicyDenied, UnknownName
from gsomia.ledger.entries import Event
from gsomia.ports.store import ItemRecord, ItemState, UnitOfWork, WorkflowRecord
from gsomia.services._transfers import label_row
from gsomia.services._workflow import Workflow, check_id, check_party, check_text, decide_access
from gsomia.services.custody import TRANSFER_CHUNK
from gsomia.services.handling import RELEASE_KIND
from gsomia.services.messages import Kind, Message, b64, unb64

__all__ = ["CONSENT_FORMAT", "CONSENT_KIND", "FORWARD_KIND", "ConsentService"]

_logger = logging.getLogger(__name__)

#: Workflow-record kinds: a consent request and its answer (same id on both sides), and a
#: hub's forwarding.
CONSENT_KIND = "consent"
FORWARD_KIND = "forward"
CONSENT_FORMAT = "gsomia/consent-v1"
_OPEN_STATES = (ItemState.HELD, ItemState.RELAYING)


class ConsentService(Workflow):
    """Consent requests and decisions, releases to third parties, and hub forwarding."""

    # Requests ------------------------------------------------------------------------------

    def request(
        self,
        *,
        item_id: str,
        to_party: str,
        by: str,
        reason: str,
        kind: str = "release",
        purpose: str | None = None,
    ) -> WorkflowRecord:
        """Ask the originator in writing for consent to release a held item to ``to_party``
        (JK-5.1, TI-3) or to use it for another ``purpose`` (JK-5.2).

        Raises :class:`InputError` for an item this node originated or does not hold, or a
        request that names nobody new; :class:`UnknownName` for an unknown person or item.
        """
        ctx = self.ctx
        now = ctx.clock.now()
        consent_kind = _kind(kind)
        to_party = check_party(to_party, what="to")
        reason = check_text(reason, what="reason")
        if consent_kind is ConsentKind.PURPOSE:
            purpose = check_text(purpose, what="purpose")
        with ctx.store.unit_of_work() as uow:
            record = self.held(uow, item_id, *_OPEN_STATES)
            agreement = ctx.agreement(record.agreement_id)
            self.officer(uow, by, rule=agreement.rule_id("third_party"))
            if record.originator == self.party:
                raise InputError(f"{self.party} originated {item_id}; no consent is needed")
            if to_party in (self.party, record.originator):
                raise InputError(f"consent to release to {to_party} is not needed")
            request_id = ctx.ids.new_id()
            body = {
                "role": "requester",
                "request": request_id,
                "item": record.id,
                "kind": consent_kind.value,
                "to_party": to_party,
                "purpose": purpose,
                "reason": reason,
                "originator": record.originator,
                "requester": self.party,
                "by": by,
                "asked_at": now.isoformat(),
            }
            saved = self.put_version(
                uow,
                CONSENT_KIND,
                request_id,
                state="requested",
                body=body,
                now=now,
                item_id=record.id,
            )
            message = {
                k: body[k] for k in ("request", "item", "kind", "to_party", "purpose", "reason")
            }
            uow.enqueue(
                self.ctx.outgoing(
                    Kind.CONSENT_REQUEST, record.originator, agreement.id, message, now
                )
            )
            entry = ctx.entry(
                event=Event.CONSENT_ASKED,
                agreement_id=agreement.id,
                at=now,
                person=by,
                item_id=record.id,
                rule_ids=(agreement.rule_id(_rule_key(agreement, consent_kind)),),
                counterparty=record.originator,
                consent=request_id,
            )
            ctx.record(uow, [entry])
        return saved

    def on_request(self, uow: UnitOfWork, message: Message) -> dict[str, Any]:
        """The originator's side: record a holder's request for consent.

        Raises :class:`UnknownName` for an item not provided by this node and
        :class:`InputError` when the sender is not on the item's route; nothing is stored.
        """
        now = self.ctx.clock.now()
        body = message.body
        request_id = check_id(body.get("request"), what="consent request")
        item_id = check_id(body.get("item"), what="consent request: item")
        kind = _kind(body.get("kind"))
        to_party = check_party(body.get("to_party"), what="consent request: to_party")
        reason = check_text(body.get("reason"), what="consent request: reason")
        purpose = body.get("purpose")
        if kind is ConsentKind.PURPOSE:
            purpose = check_text(purpose, what="consent request: purpose")
        record = uow.item(item_id)
        if record.originator != self.party or record.agreement_id != message.agreement_id:
            raise UnknownName(kind=f"item provided by {self.party}", name=item_id)
        label = self.current_label(uow, record)
        if message.sender not in label.route[1:]:
            raise InputError(f"{message.sender} is not on the route of item {item_id}")
        stored = {
            "role": "originator",
            "request": request_id,
            "item": item_id,
            "kind": kind.value,
            "to_party": to_party,
            "purpose": purpose,
            "reason": reason,
            "originator": self.party,
            "requester": message.sender,
            "asked_at": message.sent_at.isoformat(),
        }
        uow.put_record(
            WorkflowRecord(
                kind=CONSENT_KIND,
                id=request_id,
                state="requested",
                body=stored,
                updated_at=now,
                item_id=item_id,
            )
        )
        agreement = self.ctx.agreement(record.agreement_id)
        entry = self.ctx.entry(
            event=Event.CONSENT_ASKED,
            agreement_id=agreement.id,
            at=now,
            item_id=item_id,
            rule_ids=(agreement.rule_id(_rule_key(agreement, kind)),),
            counterparty=message.sender,
            consent=request_id,
        )
        self.ctx.record(uow, [entry])
        return {"request": request_id, "state": "requested"}

    # Decisions -----------------------------------------------------------------------------

    def grant(self, *, request_id: str, by: str, note: str = "") -> WorkflowRecord:
        """Grant a pending request in writing, as the originator (JK-5.1, TI-3)."""
        return self._decide(request_id=request_id, by=by, granted=True, note=note)

    def refuse(self, *, request_id: str, by: str, note: str = "") -> WorkflowRecord:
        """Refuse a pending request in writing, as the originator."""
        return self._decide(request_id=request_id, by=by, granted=False, note=note)

    def _decide(self, *, request_id: str, by: str, granted: bool, note: str) -> WorkflowRecord:
        ctx = self.ctx
        now = ctx.clock.now()
        note = check_text(note, what="note", required=False)
        with ctx.store.unit_of_work() as uow:
            pending = uow.record(CONSENT_KIND, check_id(request_id, what="request id"))
            if pending.body.get("role") != "originator":
                raise InputError(
                    f"request {request_id} was made by this node; the originator decides"
                )
            if pending.state != "requested":
                raise InputError(f"request {request_id} is already {pending.state}")
            record = uow.item(str(pending.body["item"]))
            agreement = ctx.agreement(record.agreement_id)
            self.officer(uow, by, rule=agreement.rule_id("third_party"))
            decision = {
                "format": CONSENT_FORMAT,
                **{k: pending.body[k] for k in ("request", "item", "kind", "to_party", "purpose")},
                "originator": self.party,
                "requester": pending.body["requester"],
                "granted": granted,
                "decided_at": now.isoformat(),
                "by": by,
                "note": note,
            }
            document = self.sign(agreement.id, decision)
            state = "granted" if granted else "refused"
            saved = self.put_version(
                uow,
                CONSENT_KIND,
                pending.id,
                state=state,
                body={**pending.body, "decided_at": now.isoformat(), "by": by, "note": note},
                now=now,
                item_id=record.id,
                document=document,
            )
            requester = str(pending.body["requester"])
            body = {"request": pending.id, "document": b64(document)}
            uow.enqueue(
                self.ctx.outgoing(Kind.CONSENT_DECISION, requester, agreement.id, body, now)
            )
            entry = ctx.entry(
                event=Event.CONSENT_GIVEN if granted else Event.CONSENT_REFUSED,
                agreement_id=agreement.id,
                at=now,
                person=by,
                item_id=record.id,
                rule_ids=(agreement.rule_id(_rule_key(agreement, _kind(pending.body["kind"]))),),
                counterparty=requester,
                consent=pending.id,
            )
            ctx.record(uow, [entry])
        return saved

    def on_decision(self, uow: UnitOfWork, message: Message) -> dict[str, Any]:
        """The requester's side: verify the originator's signed answer and keep it.

        Raises :class:`IntegrityError` if the document does not verify as the originator's,
        :class:`InputError` if it does not answer a pending request of this node.
        """
        now = self.ctx.clock.now()
        request_id = check_id(message.body.get("request"), what="consent decision: request")
        pending = uow.record(CONSENT_KIND, request_id)
        if pending.body.get("role") != "requester" or pending.state != "requested":
            raise InputError(f"consent request {request_id} is not awaiting an answer here")
        originator = str(pending.body["originator"])
        if message.sender != originator:
            raise InputError(f"only the originator {originator} answers request {request_id}")
        blob = unb64(message.body.get("document"), what="consent decision")
        record = uow.item(str(pending.body["item"]))
        doc = self.open_signed(
            blob, agreement_id=record.agreement_id, signer=originator, fmt=CONSENT_FORMAT
        )
        _check_answer(doc, pending.body, requester=self.party)
        granted = doc["granted"] is True
        self.put_version(
            uow,
            CONSENT_KIND,
            request_id,
            state="granted" if granted else "refused",
            body={**pending.body, "decided_at": doc["decided_at"], "note": doc.get("note", "")},
            now=now,
            item_id=record.id,
            document=blob,
        )
        agreement = self.ctx.agreement(record.agreement_id)
        entry = self.ctx.entry(
            event=Event.CONSENT_GIVEN if granted else Event.CONSENT_REFUSED,
            agreement_id=agreement.id,
            at=now,
            item_id=record.id,
            rule_ids=(agreement.rule_id(_rule_key(agreement, _kind(pending.body["kind"]))),),
            counterparty=originator,
            consent=request_id,
        )
        self.ctx.record(uow, [entry])
        return {"request": request_id, "state": "granted" if granted else "refused"}

    def requests(self, *, state: str | None = None) -> list[WorkflowRecord]:
        """Consent requests known here (asked or answered), newest state of each."""
        with self.ctx.store.read() as uow:
            return uow.records(CONSENT_KIND, state=state)

    def consent_for(
        self, uow: UnitOfWork, record: ItemRecord, *, to_party: str, kind: ConsentKind
    ) -> tuple[Consent | None, str | None]:
        """The originator's latest verified answer about ``record`` for ``to_party``, if any,
        with its request id. The signature is checked again here, so a tampered store cannot
        pass a consent to the rules."""
        answers = [
            r
            for r in uow.records(CONSENT_KIND, item_id=record.id)
            if r.body.get("role") == "requester"
            and r.body.get("kind") == kind.value
            and r.body.get("to_party") == to_party
            and r.state in ("granted", "refused")
        ]
        if not answers:
            return None, None
        latest = max(answers, key=lambda r: str(r.body.get("decided_at", "")))
        try:
            doc = self.open_signed(
                latest.document,
                agreement_id=record.agreement_id,
                signer=record.originator,
                fmt=CONSENT_FORMAT,
            )
            _check_answer(doc, latest.body, requester=self.party)
        except GsomiaError:
            _logger.warning("consent %s for item %s does not verify", latest.id, record.id)
            return None, latest.id
        consent = Consent(
            kind=kind,
            item_id=record.id,
            originator=str(doc["originator"]),
            granted=doc["granted"] is True,
            decided_at=datetime.fromisoformat(str(doc["decided_at"])),
            to_party=str(doc["to_party"]),
            purpose=doc.get("purpose"),
            written=True,
            signature_verified=True,
        )
        return consent, latest.id

    # Release to a third party --------------------------------------------------------------

    def release(self, *, item_id: str, to_party: str, by: str) -> str:
        """Release a held item to a third party with the originator's prior written consent
        (JK-5.1): re-marked for that party, sealed for it alone, sent under the agreement
        this node shares with it. Returns the transfer id.

        Raises :class:`PolicyDenied` (recorded) without a granted, verified consent or when
        no agreement with ``to_party`` allows the transfer.
        """
        ctx = self.ctx
        now = ctx.clock.now()
        to_party = check_party(to_party, what="to")
        with ctx.store.read() as uow:
            record = self.held(uow, item_id)
            agreement = ctx.agreement(record.agreement_id)
            person = self.officer(uow, by, rule=agreement.rule_id("third_party"))
            consent, consent_id = self.consent_for(
                uow, record, to_party=to_party, kind=ConsentKind.RELEASE
            )
            access = decide_access(self.ctx, uow, agreement, record, person, now)
            label = self.current_label(uow, record)
            item_key = uow.keys.get(record.id)
        if to_party == self.party:
            raise InputError(f"{self.party} already holds {item_id}")
        decision = ctx.rulebook.decide_release(
            ReleaseRequest(
                agreement=agreement,
                item=self.ctx.item_view(record),
                to_party=to_party,
                at=now,
                consent=consent,
            )
        )
        for d in (access, decision):
            if not d.allowed:
                self.record_refusal(
                    agreement.id, d, now, person=by, item_id=item_id, counterparty=to_party
                )
        channel, level = self._channel(record, to_party, now, person=by)
        released, body = self._resealed(
            record, label, item_key, channel=channel, level=level, to_party=to_party, now=now
        )
        body["release"] = {"consent": consent_id, "original_agreement": agreement.id}
        with ctx.store.unit_of_work() as uow:
            self.held(uow, item_id)
            message = self.ctx.outgoing(Kind.TRANSFER, to_party, channel.id, body, now)
            uow.enqueue(message)
            uow.add_label(label_row(released, released.digest(), now))
            self.put_version(
                uow,
                RELEASE_KIND,
                message.id,
                state="released",
                body={
                    "to": to_party,
                    "agreement": channel.id,
                    "consent": consent_id,
                    "transfer": message.id,
                    "by": by,
                    "at": now.isoformat(),
                },
                now=now,
                item_id=item_id,
            )
            entry = ctx.entry(
                event=Event.ITEM_RELEASED,
                agreement_id=agreement.id,
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
        sealed = seal(
            keyring=keyring, plaintext=content, label=released, holders=(to_party,), now=now
        )
        (binding,) = bind(keyring=keyring, envelopes=[sealed])
        item = {"envelope": b64(sealed.to_bytes()), "binding": b64(binding.to_bytes())}
        return released, {"items": [item]}

    def _channel(
        self, record: ItemRecord, to_party: str, now: datetime, *, person: str
    ) -> tuple[Agreement, Level]:
        """The agreement this node shares with ``to_party`` that allows sending the item at
        this node's level (binding agreements first), and that level."""
        ctx = self.ctx
        level = ctx.files.schemes.parse(record.holder_level_ref, party=self.party)
        shared = [a for a in ctx.agreements.between(self.party, to_party) if a.kind != "mechanism"]
        if not shared:
            raise InputError(f"{self.party} shares no agreement with {to_party}")
        tried: list[tuple[Agreement, Decision]] = []
        for candidate in sorted(shared, key=lambda a: a.legal_nature != "binding"):
            decision = ctx.rulebook.decide_send(
                SendRequest(
                    agreement=candidate,
                    originator=self.party,
                    recipient=to_party,
                    level=level,
                    topic=record.topic,
                    at=now,
                )
            )
            if decision.allowed:
                return candidate, level
            tried.append((candidate, decision))
        agreement, decision = tried[0]
        self.record_refusal(
            agreement.id, decision, now, person=person, item_id=record.id, counterparty=to_party
        )

    # Forwarding by the hub -----------------------------------------------------------------

    def forward(self, *, item_id: str, by: str) -> str:
        """Forward a relaying item to its recipient once the originator consented (TI-2,
        TI-3). Returns the transfer id.

        Raises :class:`PolicyDenied` (recorded) without a granted, verified consent or when
        this node is not the agreement's hub; :class:`InputError` for an item that is not
        relaying here.
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
            entries = [
                ctx.entry(
                    event=Event.ITEM_REFUSED,
                    agreement_id=plan.agreement_id,
                    at=now,
                    person=by,
                    item_id=plan.record.id,
                    decision=decision,
                    counterparty=plan.recipient,
                )
                for plan, decision in refused
            ]
            with ctx.store.unit_of_work() as uow:
                ctx.record(uow, entries)
            first = refused[0][1]
            more = f" ({len(refused)} of {len(plans)} items refused)" if len(plans) > 1 else ""
            raise PolicyDenied(rule_ids=first.rule_ids, reason=first.reason + more)
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
        """Each item's record, recipient and consent, and the hub's decision on it."""
        ctx = self.ctx
        plans: list[tuple[_Forward, Decision]] = []
        officers: set[str] = set()
        with ctx.store.read() as uow:
            for item_id in item_ids:
                record = self.held(uow, item_id, ItemState.RELAYING)
                agreement = ctx.agreement(record.agreement_id)
                if agreement.id not in officers:
                    self.officer(uow, by, rule=agreement.rule_id("consent"))
                    officers.add(agreement.id)
                recipient = Envelope.from_bytes(record.ciphertext).label.route[-1]
                consent, consent_id = self.consent_for(
                    uow, record, to_party=recipient, kind=ConsentKind.RELEASE
                )
                decision = ctx.rulebook.decide_forward(
                    ForwardRequest(
                        agreement=agreement,
                        hub=self.party,
                        item=self.ctx.item_view(record),
                        recipient=recipient,
                        at=now,
                        consent=consent,
                    )
                )
                plan = _Forward(
                    record=record,
                    agreement_id=agreement.id,
                    recipient=recipient,
                    consent_id=consent_id,
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
        message = self.ctx.outgoing(
            Kind.TRANSFER, recipient, agreement_id, {"items": len(chunk)}, now, parts=parts
        )
        uow.enqueue(message)
        entries = []
        for plan, decision in chunk:
            item_id = plan.record.id
            self.held(uow, item_id, ItemState.RELAYING)  # not forwarded meanwhile
            try:
                uow.keys.get(item_id)
                uow.set_item_state(item_id, ItemState.HELD)
            except UnknownName:
                uow.erase_ciphertext(item_id)
                uow.set_item_state(item_id, ItemState.FORWARDED)
            self.put_version(
                uow,
                FORWARD_KIND,
                item_id,  # a hub forwards an item once
                state="forwarded",
                body={
                    "to": recipient,
                    "consent": plan.consent_id,
                    "by": by,
                    "at": now.isoformat(),
                    "transfer": message.id,
                },
                now=now,
                item_id=item_id,
            )
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


def _kind(value: Any) -> ConsentKind:
    try:
        return ConsentKind(value)
    except ValueError:
        raise InputError(
            f"consent kind must be {' or '.join(k.value for k in ConsentKind)}, not {value!r}"
        ) from None


def _rule_key(agreement: Agreement, kind: ConsentKind) -> str:
    if kind is ConsentKind.PURPOSE:
        return "purpose"
    return "consent" if agreement.route.kind == "hub" else "third_party"


def _check_answer(doc: dict[str, Any], asked: dict[str, Any], *, requester: str) -> None:
    """Raise :class:`InputError` unless the signed answer is about what was asked."""
    for key in ("request", "item", "kind", "to_party", "purpose"):
        if doc.get(key) != asked.get(key):
            raise InputError(f"the consent document's {key} does not match the request")
    if doc.get("requester") != requester or not isinstance(doc.get("granted"), bool):
        raise InputError("the consent document does not answer this node's request")
    try:
        datetime.fromisoformat(str(doc.get("decided_at")))
    except ValueError:
        raise InputError("the consent document has no valid decision time") from None

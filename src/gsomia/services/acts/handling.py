"""Handling held items: copies and translations, lapse of purpose, return and destruction
(JK-6.f, JK-6.h, JK-13, JK-14, JK-15.1).

A copy or a translation is an item of its own: a fresh id, a label that carries the
original's markings (made by this node, revision 1), its own sealed content and item key, a
number in the original's copy register (JK-6.f), and a ledger entry naming who made it and
where. Articles 13 and 14 of the Japan–ROK text were not retrieved (spec §1.2), so no copy
limits, witnesses or destruction certificates are invented: the register records numbers,
people and places, and destruction records who, where, when and how.

Destruction shreds the item key (``uow.keys.destroy``); the at-rest ciphertext stays and no
key the node holds opens it. After the unit of work commits, the store purges the deleted
key bytes (:meth:`~gsomia.ports.store.Store.purge_destroyed_keys`). A hub's relaying copy is
erased outright, and every outbox message that carried the item (a release), pending,
dead or delivered, is withdrawn: cancelled and blanked, so nothing the node keeps can be
opened again and nothing of the item is sent after it was destroyed.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from gsomia.core.agreements import Agreement
from gsomia.core.decisions import Decision
from gsomia.core.labels import Label
from gsomia.core.rules import AccessRequest, Act, CopyRequest, RetentionRequest, TranslateRequest
from gsomia.crypto import Envelope, ItemKey, bind, keep, open_stored, seal
from gsomia.errors import InputError, StorageError, UnknownName
from gsomia.formats.messages import Kind, Message
from gsomia.ledger.entries import Event, LedgerEntry
from gsomia.ports.store import CustodyReader, ItemRecord, ItemState, ReadView, UnitOfWork
from gsomia.records import CopyRecord, DestructionRecord, ReleaseRecord, ReturnRecord
from gsomia.services.plumbing.transfers import label_row
from gsomia.services.plumbing.workflow import Workflow, check_id, check_text

__all__ = [
    "COPY_KIND",
    "DESTRUCTION_KIND",
    "MAX_CONTENT",
    "RELEASE_KIND",
    "RETURN_KIND",
    "HandlingService",
    "gave_to",
]

_logger = logging.getLogger(__name__)

#: Workflow-record kinds: one record per copy or translation (the copy register, JK-6.f),
#: per destruction, per return and per release.
COPY_KIND = CopyRecord.KIND
DESTRUCTION_KIND = DestructionRecord.KIND
RETURN_KIND = ReturnRecord.KIND
RELEASE_KIND = ReleaseRecord.KIND
#: The largest translation content accepted (the API's default item limit).
MAX_CONTENT = 4 * 1024 * 1024
SHREDDING = "crypto-shredding"


class HandlingService(Workflow):
    """Copy, translate, lapse, return, destroy and hand over items this node holds."""

    # Copies and translations ---------------------------------------------------------------

    def copy(self, *, item_id: str, by: str, facility: str | None = None) -> ItemRecord:
        """Make a numbered copy of a held item, carrying its markings (JK-6.f, JK-14).

        Raises :class:`PolicyDenied` (recorded) when ``by`` may not access the item,
        :class:`UnknownName` or :class:`InputError` for unknown or unsuitable input.
        """
        return self._derive(item_id=item_id, by=by, facility=facility)

    def translate(
        self, *, item_id: str, by: str, translator: str, language: str, content: bytes
    ) -> ItemRecord:
        """Record a translation of a held item made by a cleared translator (JK-15.1).

        ``content`` is the translated text; it is sealed under the original's markings and
        numbered in the original's register. Raises :class:`PolicyDenied` (recorded) when
        the translator or ``by`` may not access the original.
        """
        if not content or len(content) > MAX_CONTENT:
            raise InputError(f"a translation holds 1 to {MAX_CONTENT} bytes")
        language = check_text(language, what="language")
        if len(language) > 35 or not language.replace("-", "").isalnum():
            raise InputError("language: a language tag such as ko or ja-JP")
        return self._derive(
            item_id=item_id, by=by, translator=translator, language=language, content=content
        )

    def _derive(
        self,
        *,
        item_id: str,
        by: str,
        facility: str | None = None,
        translator: str | None = None,
        language: str | None = None,
        content: bytes | None = None,
    ) -> ItemRecord:
        ctx = self.ctx
        now = ctx.clock.now()
        with ctx.store.read() as uow:
            record = self.held(uow, item_id)
            agreement = ctx.agreement(record.agreement_id)
            access = self.access(uow, record, self.person(uow, by), now)
            act, request = self._derive_request(uow, access, facility, translator)
            label = self.current_label(uow, record)
            item_key = uow.keys.get(record.id)
        decision = ctx.decide(act, request, person=by, item_id=record.id)
        where = facility or record.facility_id
        plaintext = content
        if plaintext is None:
            envelope = Envelope.from_bytes(record.ciphertext)
            plaintext = open_stored(keyring=ctx.keyring, envelope=envelope, item_key=item_key)
        new_label = replace(
            label,
            item_id=ctx.ids.new_id(),
            revision=1,
            supersedes=None,
            marked_by=self.party,
            content_digest=None,
        )
        key, ciphertext, binding = self._seal_here(new_label, plaintext)
        kind = "translation" if translator else "copy"
        with ctx.store.unit_of_work() as uow:
            record = self.held(uow, record.id)
            derived = self._derived_record(uow, record, new_label, kind=kind, where=where, now=now)
            derived = replace(derived, ciphertext=ciphertext, binding=binding)
            uow.add_item(derived)
            uow.add_label(label_row(new_label, new_label.digest(), now))
            uow.keys.put(key)
            entry = CopyRecord(
                id=derived.id,
                state=kind,
                number=derived.copy_number,
                kind=kind,
                of=derived.parent_id,
                by=by,
                facility=where,
                translator=translator,
                language=language,
                made_at=now.isoformat(),
            )
            ctx.put(uow, entry, now=now, item_id=derived.parent_id)
            ctx.record(uow, [self._copy_entry(agreement, derived, decision, by, now)])
        return derived

    def _derive_request(
        self,
        uow: ReadView,
        access: AccessRequest,
        facility: str | None,
        translator: str | None,
    ) -> tuple[Act, CopyRequest | TranslateRequest]:
        """The question a copy (JK-6.f, JK-14) or a translation (JK-15.1) asks the rules."""
        if translator is not None:
            who = self.person(uow, translator)
            return Act.TRANSLATE, TranslateRequest(
                agreement=access.agreement,
                person=access.person,
                item=access.item,
                at=access.at,
                translator=who,
                conditions=access.conditions,
                translator_conditions=self.ctx.conditions(uow, who.registered_at),
            )
        return Act.COPY, CopyRequest(
            agreement=access.agreement,
            person=access.person,
            item=access.item,
            at=access.at,
            facility=uow.facility(facility) if facility else None,
            conditions=access.conditions,
        )

    def _seal_here(self, label: Label, plaintext: bytes) -> tuple[ItemKey, bytes, bytes]:
        """Seal, bind and keep content under a label this node made: the at-rest form and
        item key of a new item held here."""
        keyring = self.ctx.keyring
        envelope = seal(keyring=keyring, plaintext=plaintext, label=label, holders=(self.party,))
        (binding,) = bind(keyring=keyring, envelopes=[envelope])
        at_rest, key = keep(keyring=keyring, envelope=envelope, binding=binding)
        return key, at_rest.to_bytes(), binding.to_bytes()

    @staticmethod
    def _derived_record(
        uow: UnitOfWork,
        record: ItemRecord,
        label: Label,
        *,
        kind: str,
        where: str | None,
        now: datetime,
    ) -> ItemRecord:
        root = record.parent_id or record.id
        return replace(
            record,
            id=label.item_id,
            label_digest=label.digest(),
            recorded_at=now,
            facility_id=where,
            kind=kind,
            parent_id=root,
            copy_number=uow.next_copy_number(root),
        )

    def _copy_entry(
        self, agreement: Agreement, derived: ItemRecord, decision: Decision, by: str, now: datetime
    ) -> LedgerEntry:
        translation = derived.kind == "translation"
        return self.ctx.entry(
            event=Event.ITEM_TRANSLATED if translation else Event.ITEM_COPIED,
            agreement_id=agreement.id,
            at=now,
            person=by,
            item_id=derived.parent_id,
            decision=decision,
            label=derived.label_digest,
            facility=derived.facility_id,
            count=str(derived.copy_number),
            details={"translation" if translation else "copy": derived.id},
        )

    def register(self, item_id: str, *, viewer: str) -> list[dict[str, Any]]:
        """The copy register of an item: every copy and translation with its number, state,
        place and maker (JK-6.f), for a viewer who may see the item's marking."""
        from gsomia.services.plumbing.queries import Queries

        Queries(self.ctx).item(viewer=viewer, item_id=check_id(item_id, what="item id"))
        with self.ctx.store.read() as uow:
            record = uow.item(item_id)
            root = record.parent_id or record.id
            rows = []
            for c in uow.copies(root):
                try:
                    body = uow.record(COPY_KIND, c.id).body
                except UnknownName:
                    body = {}
                rows.append(
                    {
                        "item": c.id,
                        "of": root,
                        "number": c.copy_number,
                        "kind": c.kind,
                        "state": c.state.value,
                        "facility": c.facility_id,
                        "by": body.get("by"),
                        "translator": body.get("translator"),
                        "language": body.get("language"),
                        "made_at": body.get("made_at"),
                    }
                )
        return rows

    # Purpose, return, destruction ----------------------------------------------------------

    def lapse(self, *, item_id: str, by: str) -> Decision:
        """Record that an item's purpose has lapsed (JK-6.h), as a person with access to it;
        returns the retention decision, which then requires return or destruction."""
        ctx = self.ctx
        now = ctx.clock.now()
        with ctx.store.read() as uow:
            record = self.held(uow, item_id, ItemState.HELD, ItemState.RELAYING)
            request = self.access(uow, record, self.person(uow, by), now)
        decision = ctx.decide(Act.LAPSE, request, person=by, item_id=record.id)
        with ctx.store.unit_of_work() as uow:
            record = self.held(uow, item_id, ItemState.HELD, ItemState.RELAYING)
            targets = [record, *self._live_copies(uow, record)]
            for t in targets:
                uow.set_item_state(t.id, t.state, purpose_lapsed=True)
            entry = ctx.entry(
                event=Event.ITEM_LAPSED,
                agreement_id=record.agreement_id,
                at=now,
                person=by,
                item_id=record.id,
                decision=decision,
                count=str(len(targets)),
            )
            ctx.record(uow, [entry])
        return ctx.rulebook.decide(
            Act.RETAIN,
            RetentionRequest(
                agreement=request.agreement,
                item=self.ctx.item_view(replace(record, purpose_lapsed=True)),
                at=now,
            ),
        )

    def due(self, *, viewer: str | None = None) -> list[tuple[ItemRecord, Decision]]:
        """Held items that must now be returned or destroyed (purpose lapsed or review date
        passed, JK-6.h), with the decision that says so; for ``viewer``, those whose marking
        they may see."""
        from gsomia.services.plumbing.queries import Queries

        ctx = self.ctx
        now = ctx.clock.now()
        out: list[tuple[ItemRecord, Decision]] = []
        after = ""
        while True:
            if viewer is None:
                with ctx.store.read() as uow:
                    page = uow.items(state=ItemState.HELD, limit=500, after=after)
            else:
                page = Queries(ctx).items(
                    viewer=viewer, state=ItemState.HELD, limit=500, after=after
                )
            if not page:
                return out
            for record in page:
                decision = ctx.rulebook.decide(
                    Act.RETAIN,
                    RetentionRequest(
                        agreement=ctx.agreement(record.agreement_id),
                        item=self.ctx.item_view(record),
                        at=now,
                    ),
                )
                if not decision.allowed:
                    out.append((record, decision))
            after = page[-1].id

    def return_item(self, *, item_id: str, by: str) -> ItemRecord:
        """Return an item to the party that provided it (JK-6.h): its copies are destroyed,
        its key shredded, and a RETURN notice queued to that party in the same unit of work.

        Raises :class:`InputError` for a copy (copies are destroyed, not returned) or an
        item this node originated, :class:`PolicyDenied` (recorded) when ``by`` may not
        handle it.
        """
        ctx = self.ctx
        now = ctx.clock.now()
        with ctx.store.read() as uow:
            record = self.held(uow, item_id, ItemState.HELD, ItemState.RELAYING)
            if record.kind != "original":
                raise InputError(f"{item_id} is a {record.kind}; destroy it instead")
            request = self.access(uow, record, self.person(uow, by), now)
            provider = self.provider(uow, record)
        decision = ctx.decide(
            Act.RETURN, request, person=by, item_id=record.id, counterparty=provider
        )
        with ctx.store.unit_of_work() as uow:
            record = self.held(uow, item_id, ItemState.HELD, ItemState.RELAYING)
            label = self.current_label(uow, record)
            entries = self._shred_all(
                uow, self._live_copies(uow, record), by=by, now=now, decision=decision
            )
            self._shred(uow, record, ItemState.RETURNED)
            body = {"item": record.id, "label": label.digest(), "returned_at": now.isoformat()}
            uow.enqueue(ctx.outgoing(Kind.RETURN, provider, record.agreement_id, body, now))
            returned = ReturnRecord(
                id=record.id, state="returned", to=provider, by=by, at=now.isoformat()
            )
            ctx.put(uow, returned, now=now, item_id=record.id)
            entries.append(
                ctx.entry(
                    event=Event.ITEM_RETURNED,
                    agreement_id=record.agreement_id,
                    at=now,
                    person=by,
                    item_id=record.id,
                    decision=decision,
                    counterparty=provider,
                    label=label.digest(),
                )
            )
            ctx.record(uow, entries)
        self._purge()
        return replace(record, state=ItemState.RETURNED, ciphertext=b"")

    def destroy(self, *, item_id: str, by: str, method: str = SHREDDING) -> list[str]:
        """Destroy a held or relaying item, and with an original its copies (JK-6.h, JK-13),
        as a person with access to it: a destruction record, the key shredded, the keys'
        bytes purged after commit.

        Returns the ids destroyed. Raises :class:`PolicyDenied` (recorded) when ``by`` may
        not handle the item.
        """
        ctx = self.ctx
        now = ctx.clock.now()
        if method != SHREDDING and not method.replace("-", "").isalnum():
            raise InputError("method: one word such as crypto-shredding or shredding")
        with ctx.store.read() as uow:
            record = self.held(uow, item_id, ItemState.HELD, ItemState.RELAYING)
            request = self.access(uow, record, self.person(uow, by), now)
        decision = ctx.decide(Act.DESTROY, request, person=by, item_id=record.id, method=method)
        with ctx.store.unit_of_work() as uow:
            record = self.held(uow, item_id, ItemState.HELD, ItemState.RELAYING)
            targets = [record]
            if record.kind == "original":
                targets += self._live_copies(uow, record)
            entries = self._shred_all(
                uow, targets, by=by, now=now, method=method, decision=decision
            )
            ctx.record(uow, entries)
        self._purge()
        return [t.id for t in targets]

    def _purge(self) -> None:
        """Purge the destroyed keys' bytes now; when the store cannot yet (a reader holds old
        pages), the destruction stands and the node's upkeep retries the purge."""
        try:
            self.ctx.store.purge_destroyed_keys()
        except StorageError as exc:
            _logger.warning("destroyed keys not purged yet, retried later: %s", exc)

    def _live_copies(self, uow: UnitOfWork, record: ItemRecord) -> list[ItemRecord]:
        if record.kind != "original":
            return []
        return [c for c in uow.copies(record.id) if c.state is ItemState.HELD]

    def _shred_all(
        self,
        uow: UnitOfWork,
        targets: list[ItemRecord],
        *,
        by: str,
        now: datetime,
        decision: Decision,
        method: str = SHREDDING,
    ) -> list[LedgerEntry]:
        entries = []
        for t in targets:
            self._shred(uow, t, ItemState.DESTROYED)
            agreement = self.ctx.agreement(t.agreement_id)
            destroyed = DestructionRecord(
                id=t.id,
                state="destroyed",
                by=by,
                facility=t.facility_id,
                method=method,
                kind=t.kind,
                of=t.parent_id,
                at=now.isoformat(),
            )
            self.ctx.put(uow, destroyed, now=now, item_id=t.id)
            entries.append(
                self.ctx.entry(
                    event=Event.ITEM_DESTROYED,
                    agreement_id=agreement.id,
                    at=now,
                    person=by,
                    item_id=t.id,
                    decision=decision,
                    method=method,
                    facility=t.facility_id,
                )
            )
        return entries

    def _shred(self, uow: UnitOfWork, record: ItemRecord, state: ItemState) -> None:
        """Shred the item's key; erase a relaying copy; withdraw (cancel and blank) every
        release of it in the outbox, whatever its state, so nothing of it is sent later."""
        uow.keys.destroy(record.id)
        if record.state is ItemState.RELAYING or state is ItemState.RETURNED:
            uow.erase_ciphertext(record.id)
        sent = [
            str(r.body["transfer"])
            for r in uow.records(RELEASE_KIND, item_id=record.id)
            if r.body.get("transfer")
        ]
        if sent:
            uow.withdraw(sent)
        uow.set_item_state(record.id, state)

    def provider(self, uow: CustodyReader, record: ItemRecord) -> str:
        """The party this node received the item from: the originator, or a holder that
        released it to this node with the originator's consent (JK-5.1)."""
        versions = uow.labels(record.id)
        if not versions:
            return record.originator
        received = Label.from_bytes(versions[0].label)
        return received.route[0] if received.route else record.originator

    # Inbound -------------------------------------------------------------------------------

    def on_return(self, uow: UnitOfWork, message: Message) -> dict[str, Any]:
        """A holder returned an item this node provided (JK-6.h): record it.

        Raises :class:`UnknownName` for an item not held here and :class:`InputError` when
        the sender never received it from this node; nothing is stored then.
        """
        now = self.ctx.clock.now()
        item_id = check_id(message.body.get("item"), what="return: item")
        record = uow.item(item_id)
        if not gave_to(uow, record, party=message.sender, agreement_id=message.agreement_id):
            raise InputError(f"{message.sender} did not receive item {item_id} from {self.party}")
        returned = ReturnRecord(
            id=item_id,
            state="returned-to-us",
            from_party=message.sender,
            at=message.sent_at.isoformat(),
            message=message.id,
        )
        self.ctx.put(uow, returned, now=now, item_id=item_id)
        agreement = self.ctx.agreement(record.agreement_id)
        decision = self.ctx.partner_act(
            Act.RECEIVE_RETURN, self.ctx.agreement(message.agreement_id), message.sender
        )
        entry = self.ctx.entry(
            event=Event.ITEM_RETURNED,
            agreement_id=agreement.id,
            at=now,
            item_id=item_id,
            decision=decision,
            counterparty=message.sender,
            transfer=message.id,
        )
        self.ctx.record(uow, [entry])
        return {"item": item_id, "state": "returned"}


def gave_to(uow: UnitOfWork, record: ItemRecord, *, party: str, agreement_id: str) -> bool:
    """Whether this node provided ``record`` to ``party`` under ``agreement_id``: as its
    originator along the item's route, or by a release with consent (JK-5.1)."""
    if record.state is ItemState.SENT:
        label = Workflow.current_label(uow, record)
        return agreement_id == record.agreement_id and party in label.route[1:]
    return any(
        r.body.get("to") == party and r.body.get("agreement") == agreement_id
        for r in uow.records(RELEASE_KIND, item_id=record.id)
    )

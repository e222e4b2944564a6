"""What the workflow services share: signed documents, people, item views, input checks.

Every workflow service (:mod:`~gsomia.services.acts.handling`,
:mod:`~gsomia.services.acts.reclassification`, :mod:`~gsomia.services.acts.consent`,
:mod:`~gsomia.services.acts.incidents`, :mod:`~gsomia.services.acts.contractors`,
:mod:`~gsomia.services.acts.notes`, :mod:`~gsomia.services.acts.liaison`,
:mod:`~gsomia.services.acts.registry`; see ``docs/workflows.md``) follows one pattern: it reads
the authenticated state the rules need into a request, asks
:meth:`~gsomia.services.plumbing.context.NodeContext.decide` (which records and raises a refusal),
seals or signs, and writes its effects, the ledger entries and the message to the partner
in one unit of work. It never decides itself.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from gsomia.core.agreements import Agreement
from gsomia.core.canonical import canonical_json, parse_canonical
from gsomia.core.decisions import Decision
from gsomia.core.labels import Label
from gsomia.core.people import Person
from gsomia.core.rules import AccessRequest
from gsomia.crypto import open_document, sign_document
from gsomia.errors import InputError, IntegrityError
from gsomia.ledger.entries import Event
from gsomia.ports.store import (
    CustodyReader,
    ItemRecord,
    ItemState,
    ReadView,
    UnitOfWork,
    WorkflowRecord,
)
from gsomia.records import RECORDS, Record
from gsomia.services.plumbing.context import NodeContext

__all__ = ["MAX_TEXT", "Workflow", "check_id", "check_party", "check_text"]

_logger = logging.getLogger(__name__)

_ID = re.compile(r"^[0-9a-f]{32}$")
_PARTY = re.compile(r"^[A-Z]{3}$")
#: The longest free text (a purpose, a description, a note) a workflow accepts.
MAX_TEXT = 4000


def check_id(value: Any, *, what: str) -> str:
    """``value`` if it is a 32-hex-digit id; raises :class:`InputError` naming ``what``."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise InputError(f"{what}: expected 32 lower-case hex digits, got {value!r}")
    return value


def check_party(value: Any, *, what: str) -> str:
    """``value`` if it is a three-letter party code; raises :class:`InputError`."""
    if not isinstance(value, str) or not _PARTY.fullmatch(value):
        raise InputError(f"{what}: expected a three-letter party code, got {value!r}")
    return value


def check_text(value: Any, *, what: str, required: bool = True) -> str:
    """``value`` if it is text of at most :data:`MAX_TEXT` characters (non-empty when
    ``required``); raises :class:`InputError` naming ``what``."""
    if not isinstance(value, str) or len(value) > MAX_TEXT or (required and not value.strip()):
        raise InputError(f"{what}: expected text of 1 to {MAX_TEXT} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{what}: holds a lone surrogate") from None
    return value.strip()


class Workflow:
    """Base of the workflow services: one node context and the helpers every workflow uses."""

    def __init__(self, ctx: NodeContext) -> None:
        self.ctx = ctx

    @property
    def party(self) -> str:
        return self.ctx.party

    # Signed documents ----------------------------------------------------------------------

    def sign(self, agreement_id: str, body: dict[str, Any]) -> bytes:
        """``body`` (with its ``format`` member) as canonical JSON signed by this node under
        ``agreement_id``: a document in writing (document-v1)."""
        return sign_document(
            keyring=self.ctx.keyring, agreement_id=agreement_id, body=canonical_json(body)
        )

    def open_signed(
        self, blob: bytes, *, agreement_id: str, signer: str, fmt: str
    ) -> dict[str, Any]:
        """The body of a document ``signer`` signed under ``agreement_id`` in format ``fmt``.

        Raises the opaque :class:`IntegrityError` if the signature or signer do not hold and
        :class:`InputError` if the body is not a canonical ``fmt`` object.
        """
        doc = open_document(keyring=self.ctx.keyring, blob=blob, agreement_id=agreement_id)
        if doc.signer != signer:
            raise IntegrityError(f"the document is not signed by {signer}")
        body = parse_canonical(doc.body, what=fmt)
        if not isinstance(body, dict) or body.get("format") != fmt:
            raise InputError(f"the document is not {fmt}")
        return body

    # Agreements ----------------------------------------------------------------------------

    def party_to(self, agreement_id: str) -> Agreement:
        """The agreement ``agreement_id``, if this node's party is a party to it; raises
        :class:`InputError` otherwise."""
        agreement = self.ctx.agreement(agreement_id)
        if self.party not in agreement.party_codes:
            raise InputError(f"{self.party} is not a party to {agreement.short_name}")
        return agreement

    @staticmethod
    def sender_is_party(agreement: Agreement, sender: str) -> None:
        """Raise :class:`InputError` unless ``sender`` is a party to ``agreement``."""
        if sender not in agreement.party_codes:
            raise InputError(f"{sender} is not a party to {agreement.short_name}")

    # Records -------------------------------------------------------------------------------

    def put_version(
        self,
        uow: UnitOfWork,
        kind: str,
        record_id: str,
        *,
        state: str,
        body: dict[str, Any],
        now: datetime,
        item_id: str | None = None,
        document: bytes = b"",
    ) -> WorkflowRecord:
        """Store the next version of a workflow record of ``kind``, its body read as that
        kind's typed record first (:data:`~gsomia.records.RECORDS`), so nothing the type
        does not hold is stored. Raises :class:`InputError` for a body that does not fit."""
        record = RECORDS[kind].from_body(record_id=record_id, state=state, body=body)
        return self.ctx.put(uow, record, now=now, item_id=item_id, document=document)

    # People and items ----------------------------------------------------------------------

    def person(self, uow: ReadView, person_id: str) -> Person:
        """A registered person of any party known here, with their authorities."""
        return self.ctx.person(uow, person_id)

    def access(
        self,
        uow: ReadView,
        record: ItemRecord,
        person: Person,
        now: datetime,
        *,
        purpose: str | None = None,
    ) -> AccessRequest:
        """The access question for ``person`` and the item (JK-6.e, JK-7, JK-16.x), with the
        Art. 16 conditions met where they are registered."""
        return AccessRequest(
            agreement=self.ctx.agreement(record.agreement_id),
            person=person,
            item=self.ctx.item_view(record),
            at=now,
            conditions=self.ctx.conditions(uow, person.registered_at),
            purpose=purpose,
        )

    def move_to_facility(
        self,
        uow: UnitOfWork,
        record: ItemRecord,
        facility_id: str,
        *,
        move: Record,
        event: Event,
        by: str,
        now: datetime,
        decision: Decision,
    ) -> ItemRecord:
        """Move a held item to ``facility_id`` inside ``uow`` (its place on the facility's
        register, JK-6.f): store ``move``, the record of the move, and the ``event`` entry
        citing ``decision``. The item as it is after the move."""
        uow.set_item_facility(record.id, facility_id)
        self.ctx.put(uow, move, now=now, item_id=record.id)
        entry = self.ctx.entry(
            event=event,
            agreement_id=record.agreement_id,
            at=now,
            person=by,
            item_id=record.id,
            decision=decision,
            facility=facility_id,
        )
        self.ctx.record(uow, [entry])
        return replace(record, facility_id=facility_id)

    @staticmethod
    def current_label(uow: CustodyReader, record: ItemRecord) -> Label:
        """The label version the item is marked with now (the record's label digest)."""
        for version in uow.labels(record.id):
            if version.digest == record.label_digest:
                return Label.from_bytes(version.label)
        raise IntegrityError(f"item {record.id}: its current label version is missing")

    @staticmethod
    def held(uow: CustodyReader, item_id: str, *states: ItemState) -> ItemRecord:
        """The item, if it is in one of ``states`` here (HELD when none are given); raises
        :class:`UnknownName` or :class:`InputError` naming its state."""
        record = uow.item(check_id(item_id, what="item id"))
        wanted = states or (ItemState.HELD,)
        if record.state not in wanted:
            allowed = " or ".join(s.value for s in wanted)
            raise InputError(f"item {item_id} is {record.state.value} here, not {allowed}")
        return record

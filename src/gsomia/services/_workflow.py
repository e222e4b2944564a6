"""What the workflow services share: signed messages and documents, refusals, people, labels.

Every workflow service (:mod:`~gsomia.services.handling`,
:mod:`~gsomia.services.reclassification`, :mod:`~gsomia.services.consent`,
:mod:`~gsomia.services.incidents`, :mod:`~gsomia.services.contractors`,
:mod:`~gsomia.services.notes`, :mod:`~gsomia.services.liaison`; see ``docs/workflows.md``)
follows the pattern of :mod:`gsomia.services.custody`: the rules decide, crypto seals or
signs, the ledger records, and the store persists the effects together with the outbox
message in one unit of work. A refusal is recorded in the ledger in a unit of work of its own
and then raised as :class:`~gsomia.errors.PolicyDenied`.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any, NoReturn

from gsomia.core.agreements import Agreement
from gsomia.core.canonical import canonical_json, parse_canonical
from gsomia.core.decisions import Decision
from gsomia.core.labels import Label
from gsomia.core.people import Person, Role
from gsomia.core.rules import AccessRequest
from gsomia.crypto._documents import open_document, sign_document
from gsomia.errors import InputError, IntegrityError, PolicyDenied, UnknownName
from gsomia.ledger.entries import Event
from gsomia.ports.store import ItemRecord, ItemState, UnitOfWork, WorkflowRecord
from gsomia.services.context import NodeContext
from gsomia.services.registry import contractor_conditions_met

__all__ = ["MAX_TEXT", "Workflow", "check_id", "check_text"]

_logger = logging.getLogger(__name__)

_ID = re.compile(r"^[0-9a-f]{32}$")
_PARTY = re.compile(r"^[A-Z]{3}$")
#: The longest free text (a purpose, a description, a note) a workflow accepts.
MAX_TEXT = 4000
_OFFICERS = (Role.OFFICIAL, Role.SECURITY_OFFICER)


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

    # Messages and signed documents ---------------------------------------------------------

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

    # Refusals, people, records -------------------------------------------------------------

    def record_refusal(
        self,
        agreement_id: str,
        decision: Decision,
        now: datetime,
        *,
        person: str = "node",
        item_id: str | None = None,
        counterparty: str | None = None,
        facility: str | None = None,
    ) -> NoReturn:
        """Record a refusal in the ledger in its own unit of work, then raise it."""
        entry = self.ctx.entry(
            event=Event.ITEM_REFUSED,
            agreement_id=agreement_id,
            at=now,
            person=person,
            item_id=item_id,
            decision=decision,
            counterparty=counterparty,
            facility=facility,
        )
        with self.ctx.store.unit_of_work() as uow:
            self.ctx.record(uow, [entry])
        raise PolicyDenied(rule_ids=decision.rule_ids, reason=decision.reason)

    def officer(self, uow: UnitOfWork, person_id: str, *, rule: str) -> Person:
        """A registered official or security officer of this party; raises
        :class:`UnknownName` for an unknown person and :class:`PolicyDenied` (citing
        ``rule``) for anyone else."""
        person = uow.person(person_id)
        if person.party != self.party or person.role not in _OFFICERS:
            raise PolicyDenied(
                rule_ids=(rule,),
                reason=f"{person_id} is not an official or security officer of {self.party}",
            )
        return person

    @staticmethod
    def put_version(
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
        """Store the next version of a workflow record (the first if there is none)."""
        try:
            version = uow.record(kind, record_id).version + 1
        except UnknownName:
            version = 1
        record = WorkflowRecord(
            kind=kind,
            id=record_id,
            state=state,
            body=body,
            updated_at=now,
            version=version,
            item_id=item_id,
            document=document,
        )
        uow.put_record(record)
        return record

    # Items ---------------------------------------------------------------------------------

    @staticmethod
    def current_label(uow: UnitOfWork, record: ItemRecord) -> Label:
        """The label version the item is marked with now (the record's label digest)."""
        for version in uow.labels(record.id):
            if version.digest == record.label_digest:
                return Label.from_bytes(version.label)
        raise IntegrityError(f"item {record.id}: its current label version is missing")

    @staticmethod
    def held(uow: UnitOfWork, item_id: str, *states: ItemState) -> ItemRecord:
        """The item, if it is in one of ``states`` here (HELD when none are given); raises
        :class:`UnknownName` or :class:`InputError` naming its state."""
        record = uow.item(check_id(item_id, what="item id"))
        wanted = states or (ItemState.HELD,)
        if record.state not in wanted:
            allowed = " or ".join(s.value for s in wanted)
            raise InputError(f"item {item_id} is {record.state.value} here, not {allowed}")
        return record


def decide_access(  # noqa: PLR0917 - the rules need each of these
    ctx: NodeContext,
    uow: UnitOfWork,
    agreement: Agreement,
    record: ItemRecord,
    person: Person,
    now: datetime,
) -> Decision:
    """May ``person`` have access to the item (JK-6.e, JK-7.1, JK-7.2, JK-16.x)? Contractor
    staff only once Art. 16's conditions (a)–(o) are recorded as met for every contractor
    facility they are registered at."""
    cleared = person.role is Role.CONTRACTOR_STAFF and (
        bool(person.registered_at)
        and all(contractor_conditions_met(uow, f) for f in person.registered_at)
    )
    request = AccessRequest(
        agreement=agreement,
        person=person,
        item=ctx.item_view(record),
        at=now,
        contractor_cleared=cleared,
    )
    return ctx.rulebook.decide_open(request)

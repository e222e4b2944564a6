"""REST routes for every custody workflow: thin, one service call each, as the person the
token belongs to (``by`` is always the authenticated person)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from gsomia.api.deps import NodeDep, PersonDep
from gsomia.api.schemas import Day, Instant, PersonOut, RecordOut
from gsomia.core.people import Facility
from gsomia.ports.store import ItemRecord, WorkflowRecord
from gsomia.records import ConsentRecord, NoteRecord, Record, VisitRecord
from gsomia.services.plumbing.context import Stored

__all__ = ["router"]

router = APIRouter()

_HEX_ID = "^[0-9a-f]{32}$"
_NAME = r"^[a-z0-9][a-z0-9._-]{0,63}$"
_DOCUMENT_ID = r"^[a-z0-9][a-z0-9-]{1,62}$"  # agreements and the notes on them

Id = Annotated[str, PathParam(pattern=_HEX_ID)]
Name = Annotated[str, PathParam(pattern=_NAME)]
AgreementPath = Annotated[str, PathParam(pattern=_DOCUMENT_ID)]
ItemField = Annotated[str, Field(pattern=_HEX_ID)]
NameField = Annotated[str, Field(pattern=_NAME)]
DocumentField = Annotated[str, Field(pattern=_DOCUMENT_ID)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
Party = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _record(r: WorkflowRecord | Record | Stored[Any]) -> RecordOut:
    return RecordOut.of(r)


def _facility(f: Facility) -> dict[str, Any]:
    return {"id": f.id, "name": f.name, "contractor": f.contractor}


def _item(r: ItemRecord) -> dict[str, Any]:
    return {
        "id": r.id,
        "state": r.state.value,
        "kind": r.kind,
        "parent": r.parent_id,
        "copy_number": r.copy_number,
        "marking": r.holder_level_ref,
        "facility": r.facility_id,
    }


# Registry (JK-6.e) --------------------------------------------------------------------------


class FacilityIn(_In):
    id: NameField
    name: Text
    contractor: Annotated[str | None, Field(max_length=200)] = None


class PersonIn(_In):
    id: NameField
    name: Text
    role: Literal["official", "translator", "security-officer", "contractor-staff"]
    clearance: Annotated[str | None, Field(max_length=64)] = None
    granted_on: Day | None = None
    expires_on: Day | None = None
    need_to_know: list[NameField] = []
    facilities: list[NameField] = []
    rank: Annotated[str, Field(max_length=64)] = ""


@router.get("/v1/facilities", tags=["registry"])
def facilities(node: NodeDep, person: PersonDep) -> list[dict[str, Any]]:
    """The facilities of this node (for security officers)."""
    return [_facility(f) for f in node.registry.facilities(viewer=person.id)]


@router.post("/v1/facilities", tags=["registry"], status_code=201)
def add_facility(node: NodeDep, body: FacilityIn, person: PersonDep) -> dict[str, Any]:
    """Add a government or contractor facility (a registry officer's act, JK-6.e)."""
    return _facility(
        node.registry.add_facility(
            facility_id=body.id, name=body.name, contractor=body.contractor, by=person.id
        )
    )


@router.get("/v1/persons", tags=["registry"])
def persons(node: NodeDep, person: PersonDep) -> list[PersonOut]:
    """The persons of this node with their clearances, registrations and authorities
    (JK-6.e; for security officers)."""
    return [PersonOut.of(p) for p in node.registry.persons(viewer=person.id)]


@router.post("/v1/persons", tags=["registry"], status_code=201)
def add_person(node: NodeDep, body: PersonIn, person: PersonDep) -> PersonOut:
    """Register a person with a clearance of this party's scheme (a registry officer's
    act)."""
    added = node.registry.add_person(
        by=person.id,
        person_id=body.id,
        name=body.name,
        role=body.role,
        clearance=body.clearance,
        granted_on=body.granted_on,
        expires_on=body.expires_on,
        need_to_know=frozenset(body.need_to_know),
        facilities=frozenset(body.facilities),
        rank=body.rank,
    )
    return PersonOut.of(added)


class ConditionIn(_In):
    condition: Annotated[str, Field(pattern=r"^\(?[a-oA-O]\)?$")]
    evidence: Text


@router.post("/v1/facilities/{facility_id}/conditions", tags=["registry"], status_code=201)
def record_condition(
    node: NodeDep, facility_id: Name, body: ConditionIn, person: PersonDep
) -> RecordOut:
    """Record that an Art. 16 condition is met for a contractor facility (JK-16.x)."""
    return _record(
        node.registry.record_condition(
            facility_id=facility_id, condition=body.condition, evidence=body.evidence, by=person.id
        )
    )


# Handling (JK-6.f, JK-6.g, JK-6.h, JK-13, JK-14, JK-15.1, JK-16.x) -----------------------


class CopyIn(_In):
    facility: Annotated[str | None, Field(pattern=_NAME)] = None


@router.post("/v1/items/{item_id}/copies", tags=["handling"], status_code=201)
def copy(node: NodeDep, item_id: Id, body: CopyIn, person: PersonDep) -> dict[str, Any]:
    """Make a numbered copy that carries the original's markings."""
    return _item(node.handling.copy(item_id=item_id, by=person.id, facility=body.facility))


@router.get("/v1/items/{item_id}/copies", tags=["handling"])
def copies(node: NodeDep, item_id: Id, person: PersonDep) -> list[dict[str, Any]]:
    """The item's copy register (JK-6.f), for those who may see the item's marking."""
    return node.handling.register(item_id, viewer=person.id)


class TranslateIn(_In):
    translator: NameField
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")]
    content: Annotated[str, Field(min_length=1, max_length=4_000_000)]


@router.post("/v1/items/{item_id}/translations", tags=["handling"], status_code=201)
def translate(node: NodeDep, item_id: Id, body: TranslateIn, person: PersonDep) -> dict[str, Any]:
    """Record a translation made by a cleared translator (JK-15.1)."""
    return _item(
        node.handling.translate(
            item_id=item_id,
            by=person.id,
            translator=body.translator,
            language=body.language,
            content=body.content.encode("utf-8"),
        )
    )


class DestroyIn(_In):
    method: NameField = "crypto-shredding"


@router.post("/v1/items/{item_id}/destroy", tags=["handling"])
def destroy(node: NodeDep, item_id: Id, body: DestroyIn, person: PersonDep) -> dict[str, Any]:
    """Destroy the item and its copies: a record, and the keys shredded."""
    return {"destroyed": node.handling.destroy(item_id=item_id, by=person.id, method=body.method)}


@router.post("/v1/items/{item_id}/return", tags=["handling"])
def return_item(node: NodeDep, item_id: Id, person: PersonDep) -> dict[str, Any]:
    """Return the item to the party that provided it (JK-6.h)."""
    return _item(node.handling.return_item(item_id=item_id, by=person.id))


@router.post("/v1/items/{item_id}/lapse", tags=["handling"])
def lapse(node: NodeDep, item_id: Id, person: PersonDep) -> dict[str, Any]:
    """Record that the purpose of provision has lapsed (JK-6.h)."""
    return node.handling.lapse(item_id=item_id, by=person.id).as_dict()


class ReclassifyIn(_In):
    level: Annotated[str, Field(min_length=1, max_length=64)]
    text: Text


@router.post("/v1/items/{item_id}/reclassify", tags=["handling"])
def reclassify(node: NodeDep, item_id: Id, body: ReclassifyIn, person: PersonDep) -> dict[str, Any]:
    """As originator, notify every holder in writing of a new classification (JK-6.g)."""
    return {
        "notice": node.reclassification.reclassify(
            item_id=item_id, level=body.level, by=person.id, text=body.text
        )
    }


class HandOverIn(_In):
    facility: NameField


@router.post("/v1/items/{item_id}/hand-over", tags=["handling"])
def hand_over(node: NodeDep, item_id: Id, body: HandOverIn, person: PersonDep) -> dict[str, Any]:
    """Hand the item to a contractor facility once Art. 16 is met (JK-16.x)."""
    return _item(
        node.contractors.hand_over(item_id=item_id, facility_id=body.facility, by=person.id)
    )


# Consent, release and forwarding (JK-5.1, JK-5.2, TI-3) -------------------------------------


class ConsentIn(_In):
    item: ItemField
    to_party: Party
    reason: Text
    kind: Literal["release", "purpose"] = "release"
    purpose: Annotated[str | None, Field(max_length=512)] = None


@router.post("/v1/consents", tags=["consent"], status_code=201)
def ask_consent(node: NodeDep, body: ConsentIn, person: PersonDep) -> RecordOut:
    """Ask the originator in writing for consent (JK-5.1, JK-5.2, TI-3)."""
    return _record(
        node.consent.request(
            item_id=body.item,
            to_party=body.to_party,
            by=person.id,
            reason=body.reason,
            kind=body.kind,
            purpose=body.purpose,
        )
    )


@router.get("/v1/consents", tags=["consent"])
def consents(node: NodeDep, person: PersonDep) -> list[RecordOut]:
    """Consent requests asked of and by this node, those the person may see."""
    return [_record(r) for r in node.queries.records(ConsentRecord, viewer=person.id)]


class DecideIn(_In):
    note: Annotated[str, Field(max_length=2000)] = ""


@router.post("/v1/consents/{request_id}/grant", tags=["consent"])
def grant(node: NodeDep, request_id: Id, body: DecideIn, person: PersonDep) -> RecordOut:
    """As originator, grant consent in a signed written answer."""
    return _record(node.consent.grant(request_id=request_id, by=person.id, note=body.note))


@router.post("/v1/consents/{request_id}/refuse", tags=["consent"])
def refuse(node: NodeDep, request_id: Id, body: DecideIn, person: PersonDep) -> RecordOut:
    """As originator, refuse consent in a signed written answer."""
    return _record(node.consent.refuse(request_id=request_id, by=person.id, note=body.note))


class ReleaseIn(_In):
    to_party: Party


@router.post("/v1/items/{item_id}/release", tags=["consent"])
def release(node: NodeDep, item_id: Id, body: ReleaseIn, person: PersonDep) -> dict[str, Any]:
    """Release the item to a third party with the originator's consent (JK-5.1)."""
    return {"transfer": node.release.release(item_id=item_id, to_party=body.to_party, by=person.id)}


class ForwardIn(_In):
    items: Annotated[list[ItemField], Field(min_length=1, max_length=10_000)]


@router.post("/v1/forwards", tags=["consent"])
def forward_many(node: NodeDep, body: ForwardIn, person: PersonDep) -> dict[str, Any]:
    """As the hub, forward relaying items, each once its originator consented (TI-2, TI-3):
    all or none, in as few transfers as their recipients allow."""
    return {"transfers": node.release.forward_many(item_ids=body.items, by=person.id)}


@router.post("/v1/items/{item_id}/forward", tags=["consent"])
def forward(node: NodeDep, item_id: Id, person: PersonDep) -> dict[str, Any]:
    """As the hub, forward a relaying item once the originator consented (TI-2, TI-3)."""
    return {"transfer": node.release.forward(item_id=item_id, by=person.id)}


# Incidents (JK-17.1) ------------------------------------------------------------------------


class IncidentIn(_In):
    items: Annotated[list[ItemField], Field(min_length=1, max_length=1000)]
    kind: Literal["loss", "compromise"]
    possible: bool
    description: Text


@router.post("/v1/incidents", tags=["incidents"], status_code=201)
def report_incident(node: NodeDep, body: IncidentIn, person: PersonDep) -> RecordOut:
    """Report an actual or possible loss or compromise; the originator is told at once."""
    return _record(
        node.incidents.report(
            item_ids=body.items,
            kind=body.kind,
            possible=body.possible,
            by=person.id,
            description=body.description,
        )
    )


@router.get("/v1/incidents", tags=["incidents"])
def incidents(node: NodeDep, person: PersonDep) -> list[dict[str, Any]]:
    """Incidents with their status and due dates, those the person may see."""
    return node.incidents.incidents(viewer=person.id)


class InvestigateIn(_In):
    note: Text


@router.post("/v1/incidents/{incident_id}/investigate", tags=["incidents"])
def investigate(
    node: NodeDep, incident_id: Id, body: InvestigateIn, person: PersonDep
) -> RecordOut:
    """Record the investigation's progress."""
    return _record(
        node.incidents.investigate(incident_id=incident_id, by=person.id, note=body.note)
    )


class CloseIn(_In):
    result: Text
    measures: Text


@router.post("/v1/incidents/{incident_id}/close", tags=["incidents"])
def close_incident(node: NodeDep, incident_id: Id, body: CloseIn, person: PersonDep) -> RecordOut:
    """Close with the result and the measures taken; the originator is told."""
    return _record(
        node.incidents.close(
            incident_id=incident_id, by=person.id, result=body.result, measures=body.measures
        )
    )


# The agreement's lifecycle by diplomatic note (JK-21) ---------------------------------------


class NoteIn(_In):
    kind: Literal["notice", "suspension", "resumption", "withdrawal"]
    text: Text
    of: list[DocumentField] = []
    terminates_at: Instant | None = None


@router.post("/v1/agreements/{agreement_id}/notes", tags=["agreements"], status_code=201)
def give_note(
    node: NodeDep,
    agreement_id: AgreementPath,
    body: NoteIn,
    person: PersonDep,
) -> RecordOut:
    """Give a signed diplomatic note on the agreement (notice, suspension, withdrawal...)."""
    return _record(
        node.notes.give(
            agreement_id=agreement_id,
            kind=body.kind,
            by=person.id,
            text=body.text,
            of=tuple(body.of),
            terminates_at=body.terminates_at,
        )
    )


@router.get("/v1/agreements/{agreement_id}/notes", tags=["agreements"])
def notes(
    node: NodeDep,
    agreement_id: AgreementPath,
    person: PersonDep,
) -> list[RecordOut]:
    """The notes recorded on the agreement (for security officers and holders of the notes
    authority)."""
    shown = node.queries.records(NoteRecord, viewer=person.id)
    return [_record(r) for r in shown if r.record.agreement == agreement_id]


# Liaison (JK-3.2, JK-8.1, JK-18.1) ---------------------------------------------------------


class LawIn(_In):
    agreement: DocumentField
    title: Text
    summary: Text
    effective_on: Day


@router.post("/v1/law-notices", tags=["liaison"], status_code=201)
def notify_law(node: NodeDep, body: LawIn, person: PersonDep) -> RecordOut:
    """Notify partners of a change of national law affecting protection (JK-3.2)."""
    return _record(
        node.liaison.notify_law(
            agreement_id=body.agreement,
            by=person.id,
            title=body.title,
            summary=body.summary,
            effective_on=body.effective_on,
        )
    )


@router.get("/v1/visits", tags=["liaison"])
def visits(node: NodeDep, person: PersonDep) -> list[RecordOut]:
    """Visit requests and their answers (for security officers and liaison officers)."""
    return [_record(r) for r in node.queries.records(VisitRecord, viewer=person.id)]

"""REST routes for every custody workflow: thin, one service call each, as the person the
token belongs to (``by`` is always the authenticated person)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from gsomia.api.deps import NodeDep, PersonDep
from gsomia.core.people import Facility, Person
from gsomia.errors import IntegrityError
from gsomia.ports.store import ItemRecord, WorkflowRecord

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


def _record(r: WorkflowRecord) -> dict[str, Any]:
    return {
        "kind": r.kind,
        "id": r.id,
        "state": r.state,
        "version": r.version,
        "item": r.item_id,
        "updated_at": r.updated_at.isoformat(),
        "body": r.body,
    }


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
    granted_on: date | None = None
    expires_on: date | None = None
    need_to_know: list[NameField] = []
    facilities: list[NameField] = []
    rank: Annotated[str, Field(max_length=64)] = ""


def _officer(person: Person) -> None:
    if person.role.value != "security-officer":
        raise IntegrityError("only a security officer administers the registry")


@router.get("/v1/facilities", tags=["registry"])
def facilities(node: NodeDep, _p: PersonDep) -> list[dict[str, Any]]:
    """The facilities of this node."""
    return [_facility(f) for f in node.registry.facilities()]


@router.post("/v1/facilities", tags=["registry"], status_code=201)
def add_facility(node: NodeDep, body: FacilityIn, person: PersonDep) -> dict[str, Any]:
    """Add a government or contractor facility (security officers only)."""
    _officer(person)
    return _facility(
        node.registry.add_facility(facility_id=body.id, name=body.name, contractor=body.contractor)
    )


@router.get("/v1/persons", tags=["registry"])
def persons(node: NodeDep, _p: PersonDep) -> list[dict[str, Any]]:
    """The persons of this node with their clearances and registrations (JK-6.e)."""
    from gsomia.api.schemas import PersonOut

    return [PersonOut.of(p).model_dump() for p in node.registry.persons()]


@router.post("/v1/persons", tags=["registry"], status_code=201)
def add_person(node: NodeDep, body: PersonIn, person: PersonDep) -> dict[str, Any]:
    """Register a person with a clearance of this party's scheme (security officers only)."""
    from gsomia.api.schemas import PersonOut

    _officer(person)
    added = node.registry.add_person(
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
    return PersonOut.of(added).model_dump()


class ConditionIn(_In):
    condition: Annotated[str, Field(pattern=r"^\(?[a-oA-O]\)?$")]
    evidence: Text


@router.post("/v1/facilities/{facility_id}/conditions", tags=["registry"], status_code=201)
def record_condition(
    node: NodeDep, facility_id: Name, body: ConditionIn, person: PersonDep
) -> dict[str, Any]:
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
def copies(node: NodeDep, item_id: Id, _p: PersonDep) -> list[dict[str, Any]]:
    """The item's copy register (JK-6.f)."""
    return node.handling.register(item_id)


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
def ask_consent(node: NodeDep, body: ConsentIn, person: PersonDep) -> dict[str, Any]:
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
def consents(node: NodeDep, _p: PersonDep) -> list[dict[str, Any]]:
    """Consent requests asked of and by this node."""
    return [_record(r) for r in node.consent.requests()]


class DecideIn(_In):
    note: Annotated[str, Field(max_length=2000)] = ""


@router.post("/v1/consents/{request_id}/grant", tags=["consent"])
def grant(node: NodeDep, request_id: Id, body: DecideIn, person: PersonDep) -> dict[str, Any]:
    """As originator, grant consent in a signed written answer."""
    return _record(node.consent.grant(request_id=request_id, by=person.id, note=body.note))


@router.post("/v1/consents/{request_id}/refuse", tags=["consent"])
def refuse(node: NodeDep, request_id: Id, body: DecideIn, person: PersonDep) -> dict[str, Any]:
    """As originator, refuse consent in a signed written answer."""
    return _record(node.consent.refuse(request_id=request_id, by=person.id, note=body.note))


class ReleaseIn(_In):
    to_party: Party


@router.post("/v1/items/{item_id}/release", tags=["consent"])
def release(node: NodeDep, item_id: Id, body: ReleaseIn, person: PersonDep) -> dict[str, Any]:
    """Release the item to a third party with the originator's consent (JK-5.1)."""
    return {"transfer": node.consent.release(item_id=item_id, to_party=body.to_party, by=person.id)}


class ForwardIn(_In):
    items: Annotated[list[ItemField], Field(min_length=1, max_length=10_000)]


@router.post("/v1/forwards", tags=["consent"])
def forward_many(node: NodeDep, body: ForwardIn, person: PersonDep) -> dict[str, Any]:
    """As the hub, forward relaying items, each once its originator consented (TI-2, TI-3):
    all or none, in as few transfers as their recipients allow."""
    return {"transfers": node.consent.forward_many(item_ids=body.items, by=person.id)}


@router.post("/v1/items/{item_id}/forward", tags=["consent"])
def forward(node: NodeDep, item_id: Id, person: PersonDep) -> dict[str, Any]:
    """As the hub, forward a relaying item once the originator consented (TI-2, TI-3)."""
    return {"transfer": node.consent.forward(item_id=item_id, by=person.id)}


# Incidents (JK-17.1) ------------------------------------------------------------------------


class IncidentIn(_In):
    items: Annotated[list[ItemField], Field(min_length=1, max_length=1000)]
    kind: Literal["loss", "compromise"]
    possible: bool
    description: Text


@router.post("/v1/incidents", tags=["incidents"], status_code=201)
def report_incident(node: NodeDep, body: IncidentIn, person: PersonDep) -> dict[str, Any]:
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
def incidents(node: NodeDep, _p: PersonDep) -> list[dict[str, Any]]:
    """Incidents with their status and due dates."""
    return node.incidents.incidents()


class InvestigateIn(_In):
    note: Text


@router.post("/v1/incidents/{incident_id}/investigate", tags=["incidents"])
def investigate(
    node: NodeDep, incident_id: Id, body: InvestigateIn, person: PersonDep
) -> dict[str, Any]:
    """Record the investigation's progress."""
    return _record(
        node.incidents.investigate(incident_id=incident_id, by=person.id, note=body.note)
    )


class CloseIn(_In):
    result: Text
    measures: Text


@router.post("/v1/incidents/{incident_id}/close", tags=["incidents"])
def close_incident(
    node: NodeDep, incident_id: Id, body: CloseIn, person: PersonDep
) -> dict[str, Any]:
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
    terminates_at: datetime | None = None


@router.post("/v1/agreements/{agreement_id}/notes", tags=["agreements"], status_code=201)
def give_note(
    node: NodeDep,
    agreement_id: AgreementPath,
    body: NoteIn,
    person: PersonDep,
) -> dict[str, Any]:
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
    _p: PersonDep,
) -> list[dict[str, Any]]:
    """The notes recorded on the agreement."""
    return [_record(r) for r in node.notes.notes(agreement_id)]


# Liaison (JK-3.2, JK-8.1, JK-18.1) ---------------------------------------------------------


class LawIn(_In):
    agreement: DocumentField
    title: Text
    summary: Text
    effective_on: date


@router.post("/v1/law-notices", tags=["liaison"], status_code=201)
def notify_law(node: NodeDep, body: LawIn, person: PersonDep) -> dict[str, Any]:
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
def visits(node: NodeDep, _p: PersonDep) -> list[dict[str, Any]]:
    """Visit requests and their answers."""
    return [_record(r) for r in node.liaison.visits()]

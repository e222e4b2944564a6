"""REST routes for the registry's own acts and the acts added with the rules' single
decision path: registrations, authorities, tokens, placing items, laws on request and
assurances. Thin: one service call each, as the person the token belongs to."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from gsomia.api._idempotency import NO_STORE
from gsomia.api.deps import NodeDep, PersonDep
from gsomia.api.schemas import PersonOut, RecordOut
from gsomia.core.people import Authority
from gsomia.records import AssuranceRecord, LawRequestRecord

__all__ = ["router"]

router = APIRouter()

_NAME = r"^[a-z0-9][a-z0-9._-]{0,63}$"
_HEX = "^[0-9a-f]{32}$"
Name = Annotated[str, PathParam(pattern=_NAME)]
Hex = Annotated[str, PathParam(pattern=_HEX)]
AuthorityName = Annotated[Authority, PathParam()]
Text = Annotated[str, Field(min_length=1, max_length=2000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RegistrationIn(_In):
    facility: Annotated[str, Field(pattern=_NAME)]


@router.post("/v1/persons/{person_id}/registrations", tags=["registry"], status_code=201)
def register(node: NodeDep, person_id: Name, body: RegistrationIn, person: PersonDep) -> PersonOut:
    """Enter a cleared person on a facility's register (JK-6.e; a registry officer's act)."""
    return PersonOut.of(
        node.registry.register(person_id=person_id, facility_id=body.facility, by=person.id)
    )


@router.put("/v1/persons/{person_id}/authorities/{authority}", tags=["registry"])
def grant(node: NodeDep, person_id: Name, authority: AuthorityName, person: PersonDep) -> RecordOut:
    """Grant an authority to a person by name (a registry officer's act, recorded)."""
    record = node.registry.grant(person_id=person_id, authority=authority.value, by=person.id)
    return RecordOut.of(record)


@router.delete("/v1/persons/{person_id}/authorities/{authority}", tags=["registry"])
def revoke(
    node: NodeDep, person_id: Name, authority: AuthorityName, person: PersonDep
) -> RecordOut:
    """Revoke an authority a person holds (a registry officer's act, recorded)."""
    record = node.registry.revoke(person_id=person_id, authority=authority.value, by=person.id)
    return RecordOut.of(record)


@router.get("/v1/authorities", tags=["registry"])
def authorities(node: NodeDep, person: PersonDep) -> list[RecordOut]:
    """Every authority granted on this node and its state (for security officers)."""
    return [RecordOut.of(r) for r in node.registry.authorities(viewer=person.id)]


class TokenIn(_In):
    person: Annotated[str, Field(pattern=_NAME)]
    hours: Annotated[int, Field(ge=1, le=24 * 90)] = 12


@router.post("/v1/tokens", tags=["registry"], status_code=201)
def issue_token(
    node: NodeDep, body: TokenIn, person: PersonDep, response: Response
) -> dict[str, Any]:
    """Issue an access token to a person of this node (a registry officer's act, recorded);
    the token is shown once, and never stored (the node keeps only its hash)."""
    from datetime import timedelta

    from gsomia.services.plumbing.auth import AuthService

    response.headers["Cache-Control"] = NO_STORE
    issued = AuthService(node.ctx).issue(
        person_id=body.person, by=person.id, ttl=timedelta(hours=body.hours)
    )
    return {
        "token": issued.token,
        "token_id": issued.token_id,
        "person": issued.person_id,
        "expires_at": issued.expires_at.isoformat(),
    }


@router.delete("/v1/tokens/{token_id}", tags=["registry"])
def revoke_token(node: NodeDep, token_id: Hex, person: PersonDep) -> dict[str, Any]:
    """Revoke a token by its id (a registry officer's act, recorded)."""
    from gsomia.services.plumbing.auth import AuthService

    AuthService(node.ctx).revoke(token_id=token_id, by=person.id)
    return {"token_id": token_id, "state": "revoked"}


class PlaceIn(_In):
    facility: Annotated[str, Field(pattern=_NAME)]


@router.post("/v1/items/{item_id}/place", tags=["custody"])
def place(node: NodeDep, item_id: Hex, body: PlaceIn, person: PersonDep) -> dict[str, Any]:
    """Keep an item at a government facility and enter it on its register (JK-6.e, JK-6.f;
    a custody officer's act). Until then nobody has access to it."""
    record = node.custody.place(item_id=item_id, facility_id=body.facility, by=person.id)
    return {"item": record.id, "facility": record.facility_id}


class LawRequestIn(_In):
    agreement: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
    party: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    text: Text


@router.post("/v1/law-requests", tags=["liaison"], status_code=201)
def request_laws(node: NodeDep, body: LawRequestIn, person: PersonDep) -> RecordOut:
    """Ask another party for its laws and regulations on protection (JK-3.1)."""
    return RecordOut.of(
        node.liaison.request_laws(
            agreement_id=body.agreement, party=body.party, by=person.id, text=body.text
        )
    )


class LawAnswerIn(_In):
    title: Text
    summary: Text
    effective_on: date


@router.post("/v1/law-requests/{request_id}/answer", tags=["liaison"])
def answer_laws(node: NodeDep, request_id: Hex, body: LawAnswerIn, person: PersonDep) -> RecordOut:
    """Produce this party's laws and regulations in answer to a request (JK-3.1)."""
    return RecordOut.of(
        node.liaison.answer_laws(
            request_id=request_id,
            by=person.id,
            title=body.title,
            summary=body.summary,
            effective_on=body.effective_on,
        )
    )


@router.get("/v1/law-requests", tags=["liaison"])
def law_requests(node: NodeDep, person: PersonDep) -> list[RecordOut]:
    """Requests for laws and regulations, asked and received."""
    return [RecordOut.of(r) for r in node.queries.records(LawRequestRecord, viewer=person.id)]


class AssuranceIn(_In):
    agreement: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
    to: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    subject: Annotated[str, Field(pattern=_NAME)]
    level: Annotated[str, Field(min_length=1, max_length=64)]
    topic: Annotated[str, Field(pattern=_NAME)]
    valid_until: date


@router.post("/v1/assurances", tags=["liaison"], status_code=201)
def assure(node: NodeDep, body: AssuranceIn, person: PersonDep) -> RecordOut:
    """Assure the originating party before a hand-over in person (JK-7.4)."""
    return RecordOut.of(
        node.assurances.give(
            agreement_id=body.agreement,
            to=body.to,
            subject=body.subject,
            level=body.level,
            topic=body.topic,
            valid_until=body.valid_until,
            by=person.id,
        )
    )


@router.get("/v1/assurances", tags=["liaison"])
def assurances(node: NodeDep, person: PersonDep) -> list[RecordOut]:
    """Assurances given and received (for security officers and liaison officers)."""
    return [RecordOut.of(r) for r in node.queries.records(AssuranceRecord, viewer=person.id)]

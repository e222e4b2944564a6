"""The console's acts of administration (POST): diplomatic notes and notices of law, visits,
the registry and the ledger. Like :mod:`gsomia.api._console_acts`, each checks the form's
CSRF token, calls the service the REST API calls for the same act, and redirects."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from gsomia.api._console_auth import FormDep, SessionDep
from gsomia.api._console_base import ConsoleRoute, acting, done, field
from gsomia.api.deps import NodeDep
from gsomia.core.rules import Act
from gsomia.errors import InputError

__all__ = ["router"]

router = APIRouter(route_class=ConsoleRoute)

_NAME = r"[a-z0-9][a-z0-9._-]{0,63}"
_AGREEMENT = r"[a-z0-9][a-z0-9-]{1,62}"
Id = Annotated[str, PathParam(pattern="^[0-9a-f]{32}$")]


# Notes and visits (JK-21, JK-8.1, JK-18.1) ---------------------------------------------------


@router.post("/notes")
def give_note(request: Request, node: NodeDep, session: SessionDep, form: FormDep) -> Response:
    """Give a signed diplomatic note on an agreement (the API's give)."""
    by = acting(request, session, form)
    node.notes.give(
        agreement_id=field(form, "agreement", pattern=_AGREEMENT),
        kind=field(form, "kind", pattern="notice|suspension|resumption|withdrawal"),
        by=by,
        text=field(form, "text"),
    )
    return done(request, "/notes", "noted")


@router.post("/notices")
def notify_law(request: Request, node: NodeDep, session: SessionDep, form: FormDep) -> Response:
    """Notify the partners of a change of national law affecting protection (the API's law
    notice, JK-3.2)."""
    by = acting(request, session, form)
    try:
        effective_on = date.fromisoformat(field(form, "effective_on"))
    except ValueError:
        raise InputError("'effective_on' is a date such as 2027-01-31") from None
    node.liaison.notify_law(
        agreement_id=field(form, "agreement", pattern=_AGREEMENT),
        by=by,
        title=field(form, "title"),
        summary=field(form, "summary"),
        effective_on=effective_on,
    )
    return done(request, "/notes", "law-notice")


@router.post("/visits/{visit_id}/approve")
def approve_visit(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, visit_id: Id
) -> Response:
    """Approve a visit to a facility of this party, as the host."""
    by = acting(request, session, form)
    node.liaison.approve_visit(visit_id=visit_id, by=by)
    return done(request, "/visits", "approved")


@router.post("/visits/{visit_id}/refuse")
def refuse_visit(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, visit_id: Id
) -> Response:
    """Refuse a visit, as the host, with the reason."""
    by = acting(request, session, form)
    node.liaison.refuse_visit(visit_id=visit_id, by=by, reason=field(form, "reason"))
    return done(request, "/visits", "visit-refused")


# The registry (JK-6.e, JK-16.x) --------------------------------------------------------------


@router.post("/registry/facilities")
def add_facility(request: Request, node: NodeDep, session: SessionDep, form: FormDep) -> Response:
    """Add a government or contractor facility (the API's add facility)."""
    by = acting(request, session, form)
    node.registry.add_facility(
        facility_id=field(form, "id", pattern=_NAME),
        name=field(form, "name"),
        contractor=field(form, "contractor", optional=True) or None,
        by=by,
    )
    return done(request, "/registry", "facility")


@router.post("/registry/persons")
def add_person(request: Request, node: NodeDep, session: SessionDep, form: FormDep) -> Response:
    """Register a person with a clearance of this party's scheme (the API's add person)."""
    by = acting(request, session, form)
    words = r"[a-z0-9][a-z0-9._-]{0,63}([ ,]+[a-z0-9][a-z0-9._-]{0,63})*"
    node.registry.add_person(
        by=by,
        person_id=field(form, "id", pattern=_NAME),
        name=field(form, "name"),
        role=field(form, "role", pattern="official|translator|security-officer|contractor-staff"),
        clearance=field(form, "clearance", optional=True) or None,
        need_to_know=frozenset(
            field(form, "need_to_know", pattern=words, optional=True).replace(",", " ").split()
        ),
        facilities=frozenset(
            field(form, "facilities", pattern=words, optional=True).replace(",", " ").split()
        ),
    )
    return done(request, "/registry", "person")


@router.post("/registry/authorities")
def authority(request: Request, node: NodeDep, session: SessionDep, form: FormDep) -> Response:
    """Grant or revoke an authority by name (the API's grant and revoke)."""
    by = acting(request, session, form)
    person_id = field(form, "person", pattern=_NAME)
    name = field(form, "authority", pattern="[a-z]{1,32}")
    if field(form, "act", pattern="grant|revoke") == "grant":
        node.registry.grant(person_id=person_id, authority=name, by=by)
        return done(request, "/registry", "authority")
    node.registry.revoke(person_id=person_id, authority=name, by=by)
    return done(request, "/registry", "revoked")


@router.post("/registry/conditions")
def condition(request: Request, node: NodeDep, session: SessionDep, form: FormDep) -> Response:
    """Record that an Art. 16 condition is met for a contractor facility."""
    by = acting(request, session, form)
    node.registry.record_condition(
        facility_id=field(form, "facility", pattern=_NAME),
        condition=field(form, "condition", pattern=r"\(?[a-oA-O]\)?"),
        evidence=field(form, "evidence"),
        by=by,
    )
    return done(request, "/registry", "condition")


# The ledger -----------------------------------------------------------------------------------


@router.post("/audit/verify")
def verify(request: Request, node: NodeDep, session: SessionDep, form: FormDep) -> Response:
    """Verify the ledger again now (security officers; the API's verify)."""
    by = acting(request, session, form)
    node.queries.decide_node_view(Act.VIEW_LEDGER, by, what="ledger")
    request.app.state.ledger_check.latest()
    return done(request, "/audit", "verified")


@router.post("/audit/checkpoint")
def checkpoint(request: Request, node: NodeDep, session: SessionDep, form: FormDep) -> Response:
    """Sign a checkpoint and ask partners to cosign it (the API's checkpoint)."""
    by = acting(request, session, form)
    node.witness.request(by=by)
    return done(request, "/audit", "checkpoint")

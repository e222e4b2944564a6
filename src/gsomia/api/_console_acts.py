"""The console's acts (POST): each checks the form's CSRF token, calls the one service the
REST API calls for the same act (so the same rules decide it, and a refusal raises with its
rule ids), and redirects to a page that says what was done (POST-redirect-GET).

Only opening an item answers with a body: its content as a download, recorded by the
custody service as the API's open is.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from gsomia.api import _console_auth as auth
from gsomia.api._console_auth import COOKIE, FormDep, SessionDep
from gsomia.api._console_base import ConsoleRoute, done
from gsomia.api.deps import NodeDep
from gsomia.core.rules import Act
from gsomia.errors import InputError
from gsomia.services.custody import Provision

__all__ = ["MAX_UPLOAD_BYTES", "router"]

router = APIRouter(route_class=ConsoleRoute)

#: The largest item the provide form takes (the edge refuses a larger body as it streams).
MAX_UPLOAD_BYTES = 1 << 20

_HEX = "^[0-9a-f]{32}$"
_NAME = r"[a-z0-9][a-z0-9._-]{0,63}"
_PARTY = r"[A-Z]{3}"
_AGREEMENT = r"[a-z0-9][a-z0-9-]{1,62}"
Id = Annotated[str, PathParam(pattern=_HEX)]


def _session(request: Request, session: auth.Session, form: dict[str, str]) -> str:
    """The person acting, once the form's CSRF token is checked against their cookie."""
    auth.check_csrf(request, form, request.cookies.get(COOKIE))
    return session.person.id


def _field(
    form: dict[str, str], name: str, *, pattern: str | None = None, optional: bool = False
) -> str:
    """A form field, stripped; raises InputError when missing, too long or malformed."""
    value = form.get(name, "").strip()
    if not value:
        if optional:
            return ""
        raise InputError(f"the form needs a value for {name!r}")
    if len(value) > 2000:
        raise InputError(f"{name!r} is longer than 2000 characters")
    if pattern is not None and not re.fullmatch(pattern, value):
        raise InputError(f"{name!r} is not in the expected form")
    return value


# Consent and release (JK-5.1, JK-5.2, TI-3) --------------------------------------------------


@router.post("/consents/{request_id}/grant")
def grant(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, request_id: Id
) -> Response:
    """As originator, grant consent in a signed written answer (the API's grant)."""
    by = _session(request, session, form)
    node.consent.grant(request_id=request_id, by=by, note=_field(form, "note", optional=True))
    return done(request, "/consents", "granted")


@router.post("/consents/{request_id}/refuse")
def refuse(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, request_id: Id
) -> Response:
    """As originator, refuse consent in a signed written answer (the API's refuse)."""
    by = _session(request, session, form)
    node.consent.refuse(request_id=request_id, by=by, note=_field(form, "note", optional=True))
    return done(request, "/consents", "refused")


@router.post("/items/{item_id}/consent")
def ask_consent(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, item_id: Id
) -> Response:
    """Ask the originator in writing for consent to release the item (the API's ask)."""
    by = _session(request, session, form)
    node.consent.request(
        item_id=item_id,
        to_party=_field(form, "to_party", pattern=_PARTY),
        by=by,
        reason=_field(form, "reason"),
        kind="release",
        purpose=None,
    )
    return done(request, "/consents", "asked")


@router.post("/items/{item_id}/release")
def release(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, item_id: Id
) -> Response:
    """Release the item to a third party with the originator's consent (the API's release)."""
    by = _session(request, session, form)
    node.release.release(item_id=item_id, to_party=_field(form, "to_party", pattern=_PARTY), by=by)
    return done(request, f"/items/{item_id}", "released")


# Custody and handling (JK-6.e, JK-6.f, JK-6.h, JK-7) -----------------------------------------


@router.post("/items/{item_id}/open")
def open_item(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, item_id: Id
) -> Response:
    """Open the item's content as a download, for the purpose it was provided for (the
    API's open: decided by the rules and recorded)."""
    by = _session(request, session, form)
    purpose = _field(form, "purpose", optional=True) or None
    content = node.custody.open(item_id=item_id, person_id=by, purpose=purpose)
    return Response(
        content,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{item_id}.bin"'},
    )


@router.post("/items/{item_id}/place")
def place(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, item_id: Id
) -> Response:
    """Keep the item at a facility and enter it on its register (the API's place)."""
    by = _session(request, session, form)
    node.custody.place(item_id=item_id, facility_id=_field(form, "facility", pattern=_NAME), by=by)
    return done(request, f"/items/{item_id}", "placed")


@router.post("/items/{item_id}/copy")
def copy(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, item_id: Id
) -> Response:
    """Make a numbered copy carrying the original's markings (the API's copy)."""
    by = _session(request, session, form)
    facility = _field(form, "facility", pattern=_NAME, optional=True) or None
    made = node.handling.copy(item_id=item_id, by=by, facility=facility)
    return done(request, f"/items/{made.id}", "copied")


@router.post("/items/{item_id}/return")
def return_item(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, item_id: Id
) -> Response:
    """Return the item to the party that provided it (the API's return)."""
    by = _session(request, session, form)
    node.handling.return_item(item_id=item_id, by=by)
    return done(request, f"/items/{item_id}", "returned")


@router.post("/items/{item_id}/destroy")
def destroy(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, item_id: Id
) -> Response:
    """Destroy the item and its copies (the API's destroy)."""
    by = _session(request, session, form)
    node.handling.destroy(item_id=item_id, by=by)
    return done(request, f"/items/{item_id}", "destroyed")


async def _upload(request: Request) -> tuple[dict[str, str], bytes]:
    """The provide form: its text fields and the one file's bytes."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "multipart/form-data":
        raise InputError("the provide form is sent as multipart/form-data")
    async with request.form(max_files=1, max_fields=10) as data:
        fields = {k: v for k, v in data.items() if isinstance(v, str)}
        upload = data.get("content")
        if not isinstance(upload, UploadFile):
            raise InputError("the provide form needs a file to provide")
        content = await upload.read(MAX_UPLOAD_BYTES + 1)
    if not content:
        raise InputError("the file to provide is empty")
    if len(content) > MAX_UPLOAD_BYTES:
        raise InputError(f"the file is larger than {MAX_UPLOAD_BYTES} bytes")
    return fields, content


UploadDep = Annotated[tuple[dict[str, str], bytes], Depends(_upload)]


@router.post("/provide")
def provide(request: Request, node: NodeDep, session: SessionDep, upload: UploadDep) -> Response:
    """Provide an uploaded item to a partner along the agreement's route, at a level of this
    party's scheme, for a topic and purpose (the API's provide, JK-4, JK-9, TI-2)."""
    fields, content = upload
    by = _session(request, session, fields)
    provision = Provision(
        recipient=_field(fields, "to", pattern=_PARTY),
        level=_field(fields, "level"),
        topic=_field(fields, "topic", pattern=_NAME),
        purpose=_field(fields, "purpose"),
        agreement_id=_field(fields, "agreement", pattern=_AGREEMENT, optional=True) or None,
    )
    result = node.custody.provide(contents=[content], provision=provision, by=by)
    return done(request, f"/items/{result.item_ids[0]}", "provided")


# Incidents (JK-17.1) -------------------------------------------------------------------------


@router.post("/incidents")
def report(request: Request, node: NodeDep, session: SessionDep, form: FormDep) -> Response:
    """Report an actual or possible loss or compromise (the API's report)."""
    by = _session(request, session, form)
    items = _field(form, "items").replace(",", " ").split()
    if not items or any(not re.fullmatch(_HEX, i) for i in items):
        raise InputError("name the items by their 32-digit ids, separated by spaces")
    kind = _field(form, "kind", pattern="loss|compromise")
    node.incidents.report(
        item_ids=items,
        kind=kind,
        possible=form.get("possible") == "yes",
        by=by,
        description=_field(form, "description"),
    )
    return done(request, "/incidents", "reported")


@router.post("/incidents/{incident_id}/investigate")
def investigate(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, incident_id: Id
) -> Response:
    """Record the investigation's progress (the API's investigate)."""
    by = _session(request, session, form)
    node.incidents.investigate(incident_id=incident_id, by=by, note=_field(form, "note"))
    return done(request, "/incidents", "investigating")


@router.post("/incidents/{incident_id}/close")
def close(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, incident_id: Id
) -> Response:
    """Close the incident with its result and the measures taken (the API's close)."""
    by = _session(request, session, form)
    node.incidents.close(
        incident_id=incident_id,
        by=by,
        result=_field(form, "result"),
        measures=_field(form, "measures"),
    )
    return done(request, "/incidents", "closed")


# Notes and visits (JK-21, JK-8.1, JK-18.1) ---------------------------------------------------


@router.post("/notes")
def give_note(request: Request, node: NodeDep, session: SessionDep, form: FormDep) -> Response:
    """Give a signed diplomatic note on an agreement (the API's give)."""
    by = _session(request, session, form)
    node.notes.give(
        agreement_id=_field(form, "agreement", pattern=_AGREEMENT),
        kind=_field(form, "kind", pattern="notice|suspension|resumption|withdrawal"),
        by=by,
        text=_field(form, "text"),
    )
    return done(request, "/notes", "noted")


@router.post("/visits/{visit_id}/approve")
def approve_visit(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, visit_id: Id
) -> Response:
    """Approve a visit to a facility of this party, as the host."""
    by = _session(request, session, form)
    node.liaison.approve_visit(visit_id=visit_id, by=by)
    return done(request, "/visits", "approved")


@router.post("/visits/{visit_id}/refuse")
def refuse_visit(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, visit_id: Id
) -> Response:
    """Refuse a visit, as the host, with the reason."""
    by = _session(request, session, form)
    node.liaison.refuse_visit(visit_id=visit_id, by=by, reason=_field(form, "reason"))
    return done(request, "/visits", "visit-refused")


# The registry (JK-6.e, JK-16.x) --------------------------------------------------------------


@router.post("/registry/facilities")
def add_facility(request: Request, node: NodeDep, session: SessionDep, form: FormDep) -> Response:
    """Add a government or contractor facility (the API's add facility)."""
    by = _session(request, session, form)
    node.registry.add_facility(
        facility_id=_field(form, "id", pattern=_NAME),
        name=_field(form, "name"),
        contractor=_field(form, "contractor", optional=True) or None,
        by=by,
    )
    return done(request, "/registry", "facility")


@router.post("/registry/authorities")
def authority(request: Request, node: NodeDep, session: SessionDep, form: FormDep) -> Response:
    """Grant or revoke an authority by name (the API's grant and revoke)."""
    by = _session(request, session, form)
    person_id = _field(form, "person", pattern=_NAME)
    name = _field(form, "authority", pattern="[a-z]{1,32}")
    if _field(form, "act", pattern="grant|revoke") == "grant":
        node.registry.grant(person_id=person_id, authority=name, by=by)
        return done(request, "/registry", "authority")
    node.registry.revoke(person_id=person_id, authority=name, by=by)
    return done(request, "/registry", "revoked")


@router.post("/registry/conditions")
def condition(request: Request, node: NodeDep, session: SessionDep, form: FormDep) -> Response:
    """Record that an Art. 16 condition is met for a contractor facility."""
    by = _session(request, session, form)
    node.registry.record_condition(
        facility_id=_field(form, "facility", pattern=_NAME),
        condition=_field(form, "condition", pattern=r"\(?[a-oA-O]\)?"),
        evidence=_field(form, "evidence"),
        by=by,
    )
    return done(request, "/registry", "condition")


# The ledger -----------------------------------------------------------------------------------


@router.post("/audit/verify")
def verify(request: Request, node: NodeDep, session: SessionDep, form: FormDep) -> Response:
    """Verify the ledger again now (security officers; the API's verify)."""
    by = _session(request, session, form)
    node.queries.decide_node_view(Act.VIEW_LEDGER, by, what="ledger")
    request.app.state.ledger_check.latest()
    return done(request, "/audit", "verified")


@router.post("/audit/checkpoint")
def checkpoint(request: Request, node: NodeDep, session: SessionDep, form: FormDep) -> Response:
    """Sign a checkpoint and ask partners to cosign it (the API's checkpoint)."""
    by = _session(request, session, form)
    node.queries.decide_node_view(Act.VIEW_LEDGER, by, what="ledger")
    node.witness.request()
    return done(request, "/audit", "checkpoint")

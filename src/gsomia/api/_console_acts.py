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

from gsomia.api._console_auth import FormDep, SessionDep
from gsomia.api._console_base import ConsoleRoute, acting, done, field
from gsomia.api.deps import NodeDep
from gsomia.errors import InputError
from gsomia.services.acts.custody import Provision

__all__ = ["MAX_UPLOAD_BYTES", "router"]

router = APIRouter(route_class=ConsoleRoute)

#: The largest item the provide form takes (the edge refuses a larger body as it streams).
MAX_UPLOAD_BYTES = 1 << 20

_HEX = "^[0-9a-f]{32}$"
_NAME = r"[a-z0-9][a-z0-9._-]{0,63}"
_PARTY = r"[A-Z]{3}"
_AGREEMENT = r"[a-z0-9][a-z0-9-]{1,62}"
Id = Annotated[str, PathParam(pattern=_HEX)]


# Consent and release (JK-5.1, JK-5.2, TI-3) --------------------------------------------------


@router.post("/consents/{request_id}/grant")
def grant(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, request_id: Id
) -> Response:
    """As originator, grant consent in a signed written answer (the API's grant)."""
    by = acting(request, session, form)
    node.consent.grant(request_id=request_id, by=by, note=field(form, "note", optional=True))
    return done(request, "/consents", "granted")


@router.post("/consents/{request_id}/refuse")
def refuse(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, request_id: Id
) -> Response:
    """As originator, refuse consent in a signed written answer (the API's refuse)."""
    by = acting(request, session, form)
    node.consent.refuse(request_id=request_id, by=by, note=field(form, "note", optional=True))
    return done(request, "/consents", "refused")


@router.post("/items/{item_id}/consent")
def ask_consent(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, item_id: Id
) -> Response:
    """Ask the originator in writing for consent to release the item (the API's ask)."""
    by = acting(request, session, form)
    node.consent.request(
        item_id=item_id,
        to_party=field(form, "to_party", pattern=_PARTY),
        by=by,
        reason=field(form, "reason"),
        kind="release",
        purpose=None,
    )
    return done(request, "/consents", "asked")


@router.post("/items/{item_id}/purpose")
def ask_purpose(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, item_id: Id
) -> Response:
    """Ask the originator in writing for consent to use the item for another purpose (the
    API's ask, JK-5.2)."""
    by = acting(request, session, form)
    node.consent.request(
        item_id=item_id,
        to_party=node.party,
        by=by,
        reason=field(form, "reason"),
        kind="purpose",
        purpose=field(form, "purpose"),
    )
    return done(request, "/consents", "asked")


@router.post("/items/{item_id}/release")
def release(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, item_id: Id
) -> Response:
    """Release the item to a third party with the originator's consent (the API's release)."""
    by = acting(request, session, form)
    node.release.release(item_id=item_id, to_party=field(form, "to_party", pattern=_PARTY), by=by)
    return done(request, f"/items/{item_id}", "released")


# Custody and handling (JK-6.e, JK-6.f, JK-6.h, JK-7) -----------------------------------------


@router.post("/items/{item_id}/open")
def open_item(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, item_id: Id
) -> Response:
    """Open the item's content as a download, for the purpose it was provided for (the
    API's open: decided by the rules and recorded)."""
    by = acting(request, session, form)
    purpose = field(form, "purpose", optional=True) or None
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
    by = acting(request, session, form)
    node.custody.place(item_id=item_id, facility_id=field(form, "facility", pattern=_NAME), by=by)
    return done(request, f"/items/{item_id}", "placed")


@router.post("/items/{item_id}/copy")
def copy(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, item_id: Id
) -> Response:
    """Make a numbered copy carrying the original's markings (the API's copy)."""
    by = acting(request, session, form)
    facility = field(form, "facility", pattern=_NAME, optional=True) or None
    made = node.handling.copy(item_id=item_id, by=by, facility=facility)
    return done(request, f"/items/{made.id}", "copied")


@router.post("/items/{item_id}/return")
def return_item(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, item_id: Id
) -> Response:
    """Return the item to the party that provided it (the API's return)."""
    by = acting(request, session, form)
    node.handling.return_item(item_id=item_id, by=by)
    return done(request, f"/items/{item_id}", "returned")


@router.post("/items/{item_id}/destroy")
def destroy(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, item_id: Id
) -> Response:
    """Destroy the item and its copies (the API's destroy)."""
    by = acting(request, session, form)
    node.handling.destroy(item_id=item_id, by=by)
    return done(request, f"/items/{item_id}", "destroyed")


@router.post("/items/{item_id}/translate")
def translate(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, item_id: Id
) -> Response:
    """Record a translation made by a cleared translator (the API's translate, JK-15.1)."""
    by = acting(request, session, form)
    made = node.handling.translate(
        item_id=item_id,
        by=by,
        translator=field(form, "translator", pattern=_NAME),
        language=field(form, "language", pattern=r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?"),
        content=field(form, "content").encode("utf-8"),
    )
    return done(request, f"/items/{made.id}", "translated")


@router.post("/items/{item_id}/forward")
def forward(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, item_id: Id
) -> Response:
    """As the hub, forward a relaying item once its originator consented (the API's
    forward, TI-2, TI-3)."""
    by = acting(request, session, form)
    node.release.forward(item_id=item_id, by=by)
    return done(request, f"/items/{item_id}", "forwarded")


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
    by = acting(request, session, fields)
    provision = Provision(
        recipient=field(fields, "to", pattern=_PARTY),
        level=field(fields, "level"),
        topic=field(fields, "topic", pattern=_NAME),
        purpose=field(fields, "purpose"),
        agreement_id=field(fields, "agreement", pattern=_AGREEMENT, optional=True) or None,
    )
    result = node.custody.provide(contents=[content], provision=provision, by=by)
    return done(request, f"/items/{result.item_ids[0]}", "provided")


# Incidents (JK-17.1) -------------------------------------------------------------------------


@router.post("/incidents")
def report(request: Request, node: NodeDep, session: SessionDep, form: FormDep) -> Response:
    """Report an actual or possible loss or compromise (the API's report)."""
    by = acting(request, session, form)
    items = field(form, "items").replace(",", " ").split()
    if not items or any(not re.fullmatch(_HEX, i) for i in items):
        raise InputError("name the items by their 32-digit ids, separated by spaces")
    kind = field(form, "kind", pattern="loss|compromise")
    node.incidents.report(
        item_ids=items,
        kind=kind,
        possible=form.get("possible") == "yes",
        by=by,
        description=field(form, "description"),
    )
    return done(request, "/incidents", "reported")


@router.post("/incidents/{incident_id}/investigate")
def investigate(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, incident_id: Id
) -> Response:
    """Record the investigation's progress (the API's investigate)."""
    by = acting(request, session, form)
    node.incidents.investigate(incident_id=incident_id, by=by, note=field(form, "note"))
    return done(request, "/incidents", "investigating")


@router.post("/incidents/{incident_id}/close")
def close(
    request: Request, node: NodeDep, session: SessionDep, form: FormDep, incident_id: Id
) -> Response:
    """Close the incident with its result and the measures taken (the API's close)."""
    by = acting(request, session, form)
    node.incidents.close(
        incident_id=incident_id,
        by=by,
        result=field(form, "result"),
        measures=field(form, "measures"),
    )
    return done(request, "/incidents", "closed")

"""The console's working pages (GET): the inbox, consents, incidents, the provide form,
notes, visits and the registry. Each reads through the same queries as the REST API and
renders; the forms on them post to :mod:`gsomia.api._console_acts`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gsomia.api import _console_work as work
from gsomia.api._console_auth import SessionDep
from gsomia.api._console_base import ConsoleRoute, render
from gsomia.api.deps import NodeDep

__all__ = ["router"]

router = APIRouter(route_class=ConsoleRoute)


@router.get("/inbox")
def inbox(request: Request, node: NodeDep, session: SessionDep) -> Response:
    """What waits for this person: consents to answer, items to place, purposes lapsed,
    incidents open, notes received, alarms."""
    page = work.inbox_page(node, session.person)
    return render(request, "inbox.html", title="Inbox", page=page, session=session)


@router.get("/consents")
def consents(request: Request, node: NodeDep, session: SessionDep) -> Response:
    """Consent requests asked of this node and by it, with their answers."""
    page = work.consents_page(node, session.person)
    return render(request, "consents.html", title="Consents", page=page, session=session)


@router.get("/incidents")
def incidents(request: Request, node: NodeDep, session: SessionDep) -> Response:
    """Incidents with their deadlines; the forms to report, investigate and close."""
    page = work.incidents_page(node, session.person)
    return render(request, "incidents.html", title="Incidents", page=page, session=session)


@router.get("/provide")
def provide(request: Request, node: NodeDep, session: SessionDep) -> Response:
    """The form to provide an item to a partner."""
    page = work.provide_page(node)
    return render(request, "provide.html", title="Provide", page=page, session=session)


@router.get("/notes")
def notes(request: Request, node: NodeDep, session: SessionDep) -> Response:
    """Notes given and received on the agreements; the form to give one."""
    page = work.notes_page(node, session.person)
    return render(request, "notes.html", title="Notes", page=page, session=session)


@router.get("/visits")
def visits(request: Request, node: NodeDep, session: SessionDep) -> Response:
    """Visit requests and their answers; the forms to approve or refuse."""
    page = work.visits_page(node, session.person)
    return render(request, "visits.html", title="Visits", page=page, session=session)


@router.get("/registry")
def registry(request: Request, node: NodeDep, session: SessionDep) -> Response:
    """Facilities, persons, clearances, authorities and Art. 16 conditions (for security
    officers)."""
    page = work.registry_page(node, session.person)
    return render(request, "registry.html", title="Registry", page=page, session=session)

"""Dependencies shared by the API's routes: the node, and the authenticated person."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gsomia.api.errors import Unauthenticated
from gsomia.core.people import Person
from gsomia.errors import IntegrityError
from gsomia.services.node import Node

__all__ = ["NodeDep", "PersonDep", "authenticate", "current_person", "node_of"]

_bearer = HTTPBearer(auto_error=False, description="A person's access token (gst_...)")


async def node_of(request: Request) -> Node:
    """The node the app serves. Asynchronous, since it only reads the app's state: a
    synchronous dependency is run on the thread pool, a hop of its own for every request."""
    node: Node = request.app.state.node
    return node


def authenticate(request: Request, token: str | None) -> Person:
    """The person of ``token`` (API bearer token or console cookie); IntegrityError if it
    is refused, TooManyRequests if this client address has presented too many refused
    tokens lately (then the token is not looked up)."""
    address = request.client.host if request.client else ""
    refusals = request.app.state.refusals
    if token:
        refusals.check(address)
    try:
        person: Person = request.app.state.auth.person(token)
    except IntegrityError:
        if token:
            refusals.refused(address)
        raise
    return person


def current_person(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Person:
    """The person the bearer token belongs to, counted against their rate; 401 otherwise,
    429 once the client address has presented too many refused tokens."""
    token = credentials.credentials if credentials is not None else None
    try:
        person = authenticate(request, token)
    except IntegrityError as exc:
        raise Unauthenticated(str(exc)) from None
    request.app.state.limiter.take(person.id)
    return person


NodeDep = Annotated[Node, Depends(node_of)]
PersonDep = Annotated[Person, Depends(current_person)]

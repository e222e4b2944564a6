"""``gsomia token issue|list|revoke``: persons' access tokens for the user API and the web
console.

A token is shown once, when it is issued; the node keeps only its hash, so a lost token is
revoked and a new one issued. Without ``--as`` the node itself (its operator, who holds the
master secret) issues it; a person named by ``--as`` issues their own token or, holding the
registry authority, one for a person holding no authority they lack. ``list`` shows ids,
persons, states and expiries, never a secret.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from gsomia.cli._node import AsOpt, HomeOpt, JsonOpt, opened
from gsomia.cli._render import console, emit_json, table
from gsomia.core.people import NODE_ACTOR

__all__ = ["app"]

app = typer.Typer(
    help="Access tokens of persons for the user API and the web console.", no_args_is_help=True
)


@app.command("issue")
def issue(
    person_id: Annotated[str, typer.Argument(metavar="PERSON", help="A registered person.")],
    as_: Annotated[
        str,
        typer.Option(
            "--as",
            help="The person issuing it (a registered person id); the node itself if not given.",
        ),
    ] = NODE_ACTOR,
    hours: Annotated[
        int, typer.Option(min=1, max=90 * 24, help="Hours the token lasts (at most 90 days).")
    ] = 12,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Issue a token to a registered person of this node (the node's act, or a registry
    officer's within their own authorities; recorded); it is shown only now."""
    from gsomia.services.plumbing.auth import AuthService

    with opened(home) as node:
        issued = AuthService(node.ctx).issue(
            person_id=person_id, by=as_, ttl=timedelta(hours=hours)
        )
    view = {
        "token": issued.token,
        "token_id": issued.token_id,
        "person": issued.person_id,
        "expires_at": issued.expires_at.isoformat(),
    }
    if json_:
        emit_json(view)
        return
    console.print(
        f"token for {issued.person_id} (id {issued.token_id}), expires {view['expires_at']}:"
    )
    console.print(issued.token, markup=False, highlight=False)
    console.print("It is shown only now; the node keeps its hash.")


@app.command("list")
def list_tokens(
    as_: AsOpt,
    person_id: Annotated[str | None, typer.Option("--person", help="One person's only.")] = None,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Tokens issued on this node: id, person, state (active, revoked, expired), expiry."""
    from gsomia.services.plumbing.auth import AuthService

    with opened(home) as node:
        tokens = AuthService(node.ctx).tokens(person_id=person_id, viewer=as_)
    rows = [[t.token_id, t.person_id, t.state, t.expires_at.isoformat()] for t in tokens]
    if json_:
        keys = ("token_id", "person", "state", "expires_at")
        emit_json([dict(zip(keys, r, strict=True)) for r in rows])
    else:
        console.print(table("Tokens", ["id", "person", "state", "expires"], rows))


@app.command("revoke")
def revoke(
    token_id: Annotated[str, typer.Argument(metavar="ID", help="The token's id (from list).")],
    as_: AsOpt,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Revoke a token: the API and the console refuse it from now on."""
    from gsomia.services.plumbing.auth import AuthService

    with opened(home) as node:
        AuthService(node.ctx).revoke(token_id=token_id, by=as_)
    if json_:
        emit_json({"token_id": token_id, "state": "revoked"})
    else:
        console.print(f"token {token_id} revoked")

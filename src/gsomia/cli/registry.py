"""The registry's own acts and the acts added with one decision path: ``gsomia registry
found``, ``gsomia person register|grant|revoke|list``, ``gsomia place``, ``gsomia laws
request|answer|list`` and ``gsomia assure``. Each opens the node, calls one service method as
the person acting (``--as``) and renders the result."""

from __future__ import annotations

from typing import Annotated

import typer

from gsomia.cli._node import AsOpt, HomeOpt, JsonOpt, opened, parse_day, record_row
from gsomia.cli._render import console, emit_json, table
from gsomia.errors import InputError
from gsomia.services.acts.registry import MissingFounderClearance

__all__ = ["laws_app", "mount", "registry_app"]

registry_app = typer.Typer(help="The registry's founding (JK-6.e).", no_args_is_help=True)
laws_app = typer.Typer(
    help="Laws and regulations produced on request (JK-3.1).", no_args_is_help=True
)
PersonArg = Annotated[str, typer.Argument(metavar="PERSON")]
AuthorityArg = Annotated[
    str,
    typer.Argument(
        metavar="AUTHORITY",
        help="registry, custody, consent, reclassification, notes, incidents, forwarding, liaison.",
    ),
]


def mount(app: typer.Typer, person_app: typer.Typer) -> None:
    """Put these commands on the main command and its ``person`` group."""
    app.add_typer(registry_app, name="registry")
    app.add_typer(laws_app, name="laws")
    person_app.command("register")(register)
    person_app.command("grant")(grant)
    person_app.command("revoke")(revoke)
    person_app.command("list")(persons)
    app.command("place")(place)
    app.command("assure")(assure)


def _show(view: object, json_: bool, text: str) -> None:
    if json_:
        emit_json(view)
    else:
        console.print(text)


@registry_app.command("found")
def found(
    officer: Annotated[str, typer.Option(help="The first security officer (new or existing).")],
    name: Annotated[str, typer.Option(help="The officer's name, when new.")] = "",
    clearance: Annotated[
        str | None,
        typer.Option(help="The officer's clearance, a level of this party's scheme (when new)."),
    ] = None,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Found the registry of a node whose registry has no registry officer who can act (a
    node made before authorities existed, or one whose registry officers' clearances have
    all lapsed): the officer, a security officer holding a clearance in effect, gets the
    registry and custody authorities (JK-6.e)."""
    with opened(home) as node:
        try:
            person = node.registry.found(officer_id=officer, name=name, clearance=clearance)
        except MissingFounderClearance as e:
            raise InputError(
                f"missing option --clearance: {e.officer_id} is new, and the registry is "
                "founded by a cleared security officer"
            ) from None
    _show(
        {"officer": person.id, "authorities": sorted(a.value for a in person.authorities)},
        json_,
        f"{person.id} founded the registry (authorities: registry, custody)",
    )


def register(
    person_id: PersonArg,
    facility: Annotated[str, typer.Option(help="The facility whose register lists them.")],
    as_: AsOpt,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Enter a cleared person on a facility's register (JK-6.e)."""
    with opened(home) as node:
        person = node.registry.register(person_id=person_id, facility_id=facility, by=as_)
    _show(
        {"person": person.id, "facilities": sorted(person.registered_at)},
        json_,
        f"{person.id} is on the register of {facility}",
    )


def grant(
    person_id: PersonArg,
    authority: AuthorityArg,
    as_: AsOpt,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Grant an authority to a person by name (recorded in the ledger)."""
    with opened(home) as node:
        record = node.registry.grant(person_id=person_id, authority=authority, by=as_)
    _show(record_row(record), json_, f"{person_id} holds the {record.authority} authority")


def revoke(
    person_id: PersonArg,
    authority: AuthorityArg,
    as_: AsOpt,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Revoke an authority a person holds (recorded in the ledger)."""
    with opened(home) as node:
        record = node.registry.revoke(person_id=person_id, authority=authority, by=as_)
    _show(record_row(record), json_, f"{person_id} no longer holds {record.authority}")


def persons(as_: AsOpt, home: HomeOpt = None, json_: JsonOpt = False) -> None:
    """The persons of this node: role, clearance, registers and authorities (security
    officers)."""
    with opened(home) as node:
        people = node.registry.persons(viewer=as_)
    rows = [
        {
            "person": p.id,
            "role": p.role.value,
            "clearance": p.clearance.level.ref if p.clearance else None,
            "need_to_know": sorted(p.need_to_know),
            "facilities": sorted(p.registered_at),
            "authorities": sorted(a.value for a in p.authorities),
        }
        for p in people
    ]
    if json_:
        emit_json(rows)
        return
    columns = ["person", "role", "clearance", "facilities", "authorities"]
    console.print(
        table(
            "Persons",
            columns,
            [[_cell(r[c]) for c in columns] for r in rows],
        )
    )


def _cell(value: object) -> object:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else value


def place(
    item_id: Annotated[str, typer.Argument(metavar="ID")],
    facility: Annotated[str, typer.Option(help="The government facility that keeps it.")],
    as_: AsOpt,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Keep an item at a government facility and enter it on its register (JK-6.e, JK-6.f)."""
    with opened(home) as node:
        record = node.custody.place(item_id=item_id, facility_id=facility, by=as_)
    _show({"item": record.id, "facility": facility}, json_, f"{record.id} kept at {facility}")


@laws_app.command("request")
def laws_request(
    agreement: Annotated[str, typer.Option(help="Agreement id.")],
    party: Annotated[str, typer.Option(help="The party asked.")],
    text: Annotated[str, typer.Option(help="What is asked for.")],
    as_: AsOpt,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Ask another party for its laws and regulations on protection (JK-3.1)."""
    with opened(home) as node:
        record = node.liaison.request_laws(
            agreement_id=agreement, party=party.upper(), by=as_, text=text
        )
    _show(record_row(record), json_, f"request {record.id} queued to {party.upper()}")


@laws_app.command("answer")
def laws_answer(
    request_id: Annotated[str, typer.Argument(metavar="REQUEST")],
    title: Annotated[str, typer.Option(help="The law or regulation.")],
    summary: Annotated[str, typer.Option(help="What it provides on protection.")],
    effective_on: Annotated[str, typer.Option(help="YYYY-MM-DD.")],
    as_: AsOpt,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Produce this party's laws and regulations in answer to a request (JK-3.1)."""
    with opened(home) as node:
        record = node.liaison.answer_laws(
            request_id=request_id,
            by=as_,
            title=title,
            summary=summary,
            effective_on=parse_day(effective_on, what="--effective-on"),
        )
    _show(record_row(record), json_, f"laws produced ({record.id}); note queued")


@laws_app.command("list")
def laws_list(as_: AsOpt, home: HomeOpt = None, json_: JsonOpt = False) -> None:
    """Requests for laws and regulations, asked and received."""
    from gsomia.records import LawRequestRecord

    with opened(home) as node:
        rows = [record_row(r) for r in node.queries.records(LawRequestRecord, viewer=as_)]
    if json_:
        emit_json(rows)
        return
    columns = ["id", "state", "role", "party", "text"]
    console.print(table("Requests for laws", columns, [[r.get(c) for c in columns] for r in rows]))


def assure(
    subject: Annotated[str, typer.Argument(metavar="PERSON", help="This party's representative.")],
    agreement: Annotated[str, typer.Option(help="Agreement id.")],
    to: Annotated[str, typer.Option("--to", help="The originating party.")],
    level: Annotated[str, typer.Option(help="Highest level, of the originator's scheme.")],
    topic: Annotated[str, typer.Option(help="Topic of the items.")],
    until: Annotated[str, typer.Option(help="Valid until, YYYY-MM-DD.")],
    as_: AsOpt,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Assure the originating party before a hand-over in person (JK-7.4): the
    representative is cleared, needs the items, and they will be protected."""
    with opened(home) as node:
        record = node.assurances.give(
            agreement_id=agreement,
            to=to.upper(),
            subject=subject,
            level=level,
            topic=topic,
            valid_until=parse_day(until, what="--until"),
            by=as_,
        )
    _show(record_row(record), json_, f"assurance {record.id} for {subject} queued to {to}")

"""``gsomia check send|open|release``: what-if decisions with the rules they rest on."""

from __future__ import annotations

from typing import Annotated

import typer

from gsomia.cli._context import what_if_service
from gsomia.cli._render import console, emit_json
from gsomia.core.decisions import Decision
from gsomia.services.plumbing.views import decision_view
from gsomia.services.what_if import OpenQuestion, ReleaseQuestion, SendQuestion

app = typer.Typer(help="Ask the rules: may this be sent, opened, released?", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
On = Annotated[str, typer.Option(help="YYYY-MM-DD (end of that day, agreement time) or ISO time.")]


def _render(decision: Decision, title: str) -> None:
    mark = "[green]ALLOWED[/green]" if decision.allowed else "[red]DENIED[/red]"
    console.print(f"{title}: {mark}  ({', '.join(decision.rule_ids) or 'no rule'})")
    console.print(decision.reason)
    for o in decision.obligations:
        console.print(f"  obligation: {o}")


@app.command("send")
def send(
    from_: Annotated[str, typer.Option("--from", help="Originating party (JPN).")],
    to: Annotated[str, typer.Option(help="Receiving party (KOR).")],
    level: Annotated[str, typer.Option(help="Originator's level: 極秘, Gokuhi or SECRET@JPN.")],
    topic: Annotated[str, typer.Option(help="Topic, e.g. nk-missile.")],
    on: On,
    agreement: Annotated[
        str | None, typer.Option(help="Agreement id; default: every shared one.")
    ] = None,
    via: Annotated[list[str] | None, typer.Option(help="Intermediate party, repeatable.")] = None,
    json_: JsonOpt = False,
) -> None:
    """May FROM provide an item to TO? Decided under each agreement they share."""
    results = what_if_service().check_send(
        SendQuestion(
            originator=from_.upper(),
            recipient=to.upper(),
            level=level,
            topic=topic,
            on=on,
            agreement=agreement,
            via=tuple(p.upper() for p in via or ()),
        )
    )
    if json_:
        emit_json([{"agreement": a.id, **decision_view(d)} for a, d in results])
    else:
        for a, d in results:
            _render(d, f"send {from_.upper()} → {to.upper()} under {a.short_name}")
    if not any(d.allowed for _, d in results):
        raise typer.Exit(code=4)


@app.command("open")
def open_(
    agreement: Annotated[str, typer.Option(help="Agreement id.")],
    originator: Annotated[str, typer.Option(help="Originating party.")],
    holder: Annotated[str, typer.Option(help="Holding (receiving) party.")],
    level: Annotated[str, typer.Option(help="Originator's level.")],
    topic: Annotated[str, typer.Option(help="Item topic.")],
    on: On,
    clearance: Annotated[
        str | None, typer.Option(help="Person's clearance, in their scheme.")
    ] = None,
    need: Annotated[list[str] | None, typer.Option(help="Need-to-know topic, repeatable.")] = None,
    role: Annotated[
        str, typer.Option(help="official, translator, security-officer, contractor-staff.")
    ] = "official",
    rank: Annotated[str, typer.Option(help="Rank or appointment (never enough alone).")] = "",
    person_party: Annotated[
        str | None, typer.Option(help="Person's party (default: holder).")
    ] = None,
    not_registered: Annotated[
        bool,
        typer.Option(
            "--not-registered",
            help="The person is not on the register of the facility keeping it (JK-6.e).",
        ),
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """May a person of the holding party open the item (JK-7)?"""
    d = what_if_service().check_open(
        OpenQuestion(
            agreement=agreement,
            originator=originator.upper(),
            holder=holder.upper(),
            level=level,
            topic=topic,
            clearance=clearance,
            need=tuple(need or ()),
            on=on,
            role=role,
            rank=rank,
            person_party=person_party.upper() if person_party else None,
            registered=not not_registered,
        )
    )
    emit_json(decision_view(d)) if json_ else _render(d, "open")
    if not d.allowed:
        raise typer.Exit(code=4)


@app.command("release")
def release(
    agreement: Annotated[str, typer.Option(help="Agreement id.")],
    originator: Annotated[str, typer.Option(help="Originating party.")],
    holder: Annotated[str, typer.Option(help="Holding party.")],
    to: Annotated[str, typer.Option(help="Third party to release to.")],
    level: Annotated[str, typer.Option(help="Originator's level.")],
    on: On,
    consent: Annotated[bool, typer.Option(help="The originator has consented in writing.")] = False,
    json_: JsonOpt = False,
) -> None:
    """May the holder release the item to a third party (JK-5.1, TI-6)?"""
    d = what_if_service().check_release(
        ReleaseQuestion(
            agreement=agreement,
            originator=originator.upper(),
            holder=holder.upper(),
            to_party=to.upper(),
            level=level,
            on=on,
            consent=consent,
        )
    )
    emit_json(decision_view(d)) if json_ else _render(d, f"release to {to.upper()}")
    if not d.allowed:
        raise typer.Exit(code=4)

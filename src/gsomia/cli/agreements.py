"""``gsomia agreements`` and ``gsomia agreement show|status``."""

from __future__ import annotations

from typing import Annotated

import typer

from gsomia.cli import notes
from gsomia.cli._context import what_if_service
from gsomia.cli._render import console, emit_json, table
from gsomia.services.plumbing.views import agreement_view, status_view

app = typer.Typer(help="Agreements: what they say and where they stand.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def list_agreements(
    on: Annotated[str | None, typer.Option(help="Also show each status on this date.")] = None,
    json_: JsonOpt = False,
) -> None:
    """List the agreements this node knows."""
    service = what_if_service()
    agreements = service.agreements()
    statuses = {s.agreement_id: s for s in service.statuses(on=on)} if on else {}
    if json_:
        emit_json(
            [
                {**_brief(a), **({"status": status_view(statuses[a.id])} if on else {})}
                for a in agreements
            ]
        )
        return
    rows = [
        [
            a.id,
            a.short_name,
            a.kind,
            ", ".join(a.party_codes),
            a.term.entry_into_force.date(),
            statuses[a.id].summary if on else "",
        ]
        for a in agreements
    ]
    cols = ["id", "name", "kind", "parties", "in force from", f"status on {on}" if on else ""]
    console.print(table("Agreements", cols, rows))


def _brief(a: object) -> dict[str, object]:
    view = agreement_view(a)  # type: ignore[arg-type]
    return {k: view[k] for k in ("id", "short_name", "kind", "legal_nature", "parties", "term")}


@app.command("show")
def show(
    agreement_id: Annotated[str, typer.Argument(metavar="ID")], json_: JsonOpt = False
) -> None:
    """Show one agreement: parties, equivalence table, scope, route, term, events, rules."""
    a = what_if_service().agreement(agreement_id)
    view = agreement_view(a)
    if json_:
        emit_json(view)
        return
    console.print(f"[bold]{a.short_name}[/bold]  ({a.id}, {a.version}, {a.legal_nature})")
    console.print(a.title)
    console.print(
        table(
            "Parties",
            ["code", "name", "competent authority"],
            [[p.code, p.name, p.competent_authority] for p in a.parties],
        )
    )
    console.print(
        table(
            "Equivalent levels",
            ["English", *a.party_codes],
            [
                [
                    row.english,
                    *(" / ".join(lv.native for lv in row.levels.get(p, ())) for p in a.party_codes),
                ]
                for row in a.equivalence
            ],
        )
    )
    scope = ", ".join(a.scope_topics) or "any defence-related information"
    hub = f" via {a.route.hub}" if a.route.hub else ""
    console.print(
        f"Scope: {scope}.  Route: {a.route.kind}{hub}.  Basis: {', '.join(a.basis) or '—'}"
    )
    console.print(
        table(
            "Events",
            ["date", "kind", "by", "note"],
            [[e.at.isoformat(), e.kind, e.by, e.note] for e in a.events],
        )
    )


@app.command("status")
def status_cmd(
    agreement_id: Annotated[str, typer.Argument(metavar="ID")],
    on: Annotated[
        str, typer.Option(help="YYYY-MM-DD (end of that day, agreement time) or ISO time.")
    ],
    json_: JsonOpt = False,
) -> None:
    """The agreement's status on a date: in force, notice pending, suspended, terminated."""
    s = what_if_service().status(agreement_id, on=on)
    if json_:
        emit_json(status_view(s))
        return
    console.print(f"[bold]{agreement_id}[/bold] on {s.at.isoformat()}: [bold]{s.phase}[/bold]")
    console.print(s.summary)
    if s.term_end is not None:
        console.print(
            f"Current term {s.term_start} → {s.term_end}; automatic renewals so far: {s.renewals}"
        )
    console.print(f"Rules: {', '.join(s.rule_ids)}")


# Diplomatic notes given from a node home (JK-21): notice, suspend, resume, withdraw, amend.
notes.register(app)

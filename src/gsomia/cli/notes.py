"""``gsomia agreement notice|suspend|resume|withdraw|amend|accept|notes``: diplomatic notes
on an agreement, given from this node and sent to every other party (JK-21).

:func:`register` adds them to the ``agreement`` group of :mod:`gsomia.cli.agreements`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from gsomia.cli._node import AsOpt, HomeOpt, JsonOpt, opened, parse_time, record_row
from gsomia.cli._render import console, emit_json, table
from gsomia.ports.store import WorkflowRecord

__all__ = ["register"]

AgreementArg = Annotated[str, typer.Argument(metavar="ID", help="Agreement id.")]
TextOpt = Annotated[str, typer.Option(help="Text of the note.")]
OfOpt = Annotated[list[str], typer.Option("--of", help="The note it acts on (repeatable).")]


def register(app: typer.Typer) -> None:
    """Add the note commands to the ``agreement`` group."""
    app.command("notice")(notice)
    app.command("suspend")(suspend)
    app.command("resume")(resume)
    app.command("withdraw")(withdraw)
    app.command("amend")(amend)
    app.command("accept")(accept)
    app.command("notes")(notes)


def _give(
    home: Path | None,
    agreement_id: str,
    kind: str,
    as_: str,
    text: str,
    of: list[str],
    ends: str | None,
) -> WorkflowRecord:
    with opened(home) as node:
        return node.notes.give(
            agreement_id=agreement_id,
            kind=kind,
            by=as_,
            text=text,
            of=tuple(of),
            terminates_at=parse_time(ends, what="--terminates-at") if ends else None,
        )


def _show(record: WorkflowRecord, json_: bool, text: str) -> None:
    if json_:
        emit_json(record_row(record))
    else:
        console.print(text)


def _done(record: WorkflowRecord, json_: bool) -> None:
    ends = record.body.get("terminates_at")
    tail = f"; terminates at {ends}" if ends else ""
    _show(record, json_, f"{record.body.get('kind', 'note')} {record.id} recorded and sent{tail}")


def notice(
    agreement_id: AgreementArg,
    as_: AsOpt,
    text: TextOpt,
    terminates_at: Annotated[
        str | None, typer.Option(help="Termination instant; default by the notice period.")
    ] = None,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Give written notice of termination (JK-21.1)."""
    _done(_give(home, agreement_id, "notice", as_, text, [], terminates_at), json_)


def _acting_on_notes(name: str, *, kind: str, doc: str) -> Callable[..., None]:
    """The command ``name`` that gives a ``kind`` note acting on earlier notes (``--of``)."""

    def command(
        agreement_id: AgreementArg,
        of: OfOpt,
        as_: AsOpt,
        text: TextOpt,
        home: HomeOpt = None,
        json_: JsonOpt = False,
    ) -> None:
        _done(_give(home, agreement_id, kind, as_, text, of, None), json_)

    command.__name__ = command.__qualname__ = name
    command.__doc__ = doc
    return command


suspend = _acting_on_notes(
    "suspend",
    kind="suspension",
    doc="Suspend the effect of this party's pending notice (as the 2019 note did).",
)
resume = _acting_on_notes(
    "resume", kind="resumption", doc="Let a suspended notice take effect again."
)
withdraw = _acting_on_notes(
    "withdraw",
    kind="withdrawal",
    doc="Withdraw this party's notice (and notes about it), as the 2023 note did.",
)


def amend(
    agreement_id: AgreementArg,
    as_: AsOpt,
    text: TextOpt,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Propose an amendment in writing; it takes effect once every party accepts (JK-21.3)."""
    with opened(home) as node:
        record = node.notes.propose_amendment(agreement_id=agreement_id, by=as_, text=text)
    _show(record, json_, f"amendment {record.id} proposed to {', '.join(record.body['awaiting'])}")


def accept(
    proposal_id: Annotated[str, typer.Argument(metavar="PROPOSAL")],
    as_: AsOpt,
    note: Annotated[str, typer.Option(help="A note with the acceptance.")] = "",
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Accept another party's proposed amendment in writing (JK-21.3)."""
    with opened(home) as node:
        record = node.notes.accept_amendment(proposal_id=proposal_id, by=as_, note=note)
    _show(
        record, json_, f"amendment {record.id} accepted; the acceptance goes to {record.body['by']}"
    )


def notes(
    agreement_id: Annotated[
        str | None, typer.Argument(metavar="[ID]", help="Agreement id.")
    ] = None,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Diplomatic notes and amendment proposals recorded on this node."""
    with opened(home) as node:
        rows = [record_row(r) for r in node.notes.notes(agreement_id)]
        proposals = [record_row(r) for r in node.notes.amendments()]
    if json_:
        emit_json({"notes": rows, "amendments": proposals})
        return
    cols = ["id", "agreement", "kind", "by", "at", "terminates_at", "state"]
    console.print(table("Notes", cols, [[r.get(c) for c in cols] for r in rows]))
    if proposals:
        cols = ["id", "agreement", "by", "state", "text"]
        console.print(table("Amendments", cols, [[r.get(c) for c in cols] for r in proposals]))

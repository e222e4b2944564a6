"""The node's workflow commands: copies, translations, destruction, return, reclassification,
consent, release, hub forwarding, incidents, national-law notices, visits and contractors.

Each command opens the node in ``--home``, calls one service method and renders the result;
``--json`` prints JSON. Messages to partners go to the outbox in the same unit of work as the
act; the node's runtime (``gsomia node run``) delivers them.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from gsomia.cli._node import AsOpt, HomeOpt, JsonOpt, item_row, opened, parse_day, record_row
from gsomia.cli._render import console, emit_json, table
from gsomia.errors import InputError

__all__ = [
    "consent_app",
    "contractor_app",
    "incident_app",
    "law_app",
    "mount",
    "visit_app",
]

IdArg = Annotated[str, typer.Argument(metavar="ID", help="Item id.")]
RequestArg = Annotated[str, typer.Argument(metavar="REQUEST")]
IncidentArg = Annotated[str, typer.Argument(metavar="INCIDENT")]
VisitArg = Annotated[str, typer.Argument(metavar="VISIT")]
AnswerNoteOpt = Annotated[str, typer.Option(help="A note to the requester.")]
AgreementOpt = Annotated[str, typer.Option(help="Agreement id.")]

consent_app = typer.Typer(
    help="Prior written consent of the originator (JK-5, TI-3).", no_args_is_help=True
)
incident_app = typer.Typer(
    help="Loss or compromise, actual or possible (JK-17.1).", no_args_is_help=True
)
law_app = typer.Typer(help="Changes to national law (JK-3.2).", no_args_is_help=True)
visit_app = typer.Typer(
    help="Visits (JK-8.1) and security representatives' visits (JK-18.1).", no_args_is_help=True
)
contractor_app = typer.Typer(
    help="Contractors and Art. 16's conditions (JK-16.x).", no_args_is_help=True
)


def mount(app: typer.Typer) -> None:
    """Put the workflow commands on the main command."""
    for name, command in (
        ("copy", copy),
        ("translate", translate),
        ("copies", copies),
        ("lapse", lapse),
        ("due", due),
        ("destroy", destroy),
        ("return", return_item),
        ("reclassify", reclassify),
        ("release", release),
        ("forward", forward),
    ):
        app.command(name)(command)
    app.add_typer(consent_app, name="consent")
    app.add_typer(incident_app, name="incident")
    app.add_typer(law_app, name="law")
    app.add_typer(visit_app, name="visit")
    app.add_typer(contractor_app, name="contractor")


def _show(view: Any, json_: bool, text: str) -> None:
    if json_:
        emit_json(view)
    else:
        console.print(text)


def _records(title: str, rows: list[dict[str, Any]], columns: list[str], json_: bool) -> None:
    if json_:
        emit_json(rows)
        return
    console.print(table(title, columns, [[r.get(c) for c in columns] for r in rows]))


# Handling ---------------------------------------------------------------------------------------


def copy(
    item_id: IdArg,
    as_: AsOpt,
    facility: Annotated[
        str | None, typer.Option(help="Government facility keeping the copy.")
    ] = None,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Make a numbered copy carrying the original's markings (JK-6.f, JK-14)."""
    with opened(home) as node:
        record = node.handling.copy(item_id=item_id, by=as_, facility=facility)
    _show(item_row(record), json_, f"copy {record.copy_number} of {record.parent_id}: {record.id}")


def translate(
    item_id: IdArg,
    file: Annotated[
        typer.FileBinaryRead, typer.Argument(metavar="FILE", help="The translated text.")
    ],
    as_: AsOpt,
    translator: Annotated[str, typer.Option(help="The cleared translator (JK-15.1).")],
    language: Annotated[str, typer.Option(help="Language tag of the translation, e.g. ko.")],
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Record a translation by a cleared translator, marked like the original (JK-15.1)."""
    from gsomia.services.acts.handling import MAX_CONTENT

    content = file.read(MAX_CONTENT + 1)
    with opened(home) as node:
        record = node.handling.translate(
            item_id=item_id, by=as_, translator=translator, language=language, content=content
        )
    _show(
        item_row(record),
        json_,
        f"translation {record.copy_number} of {record.parent_id}: {record.id}",
    )


def copies(item_id: IdArg, as_: AsOpt, home: HomeOpt = None, json_: JsonOpt = False) -> None:
    """The copy register of an item: numbered copies and translations (JK-6.f)."""
    with opened(home) as node:
        rows = node.handling.register(item_id, viewer=as_)
    _records(
        "Copy register",
        rows,
        ["number", "kind", "item", "state", "facility", "by", "language"],
        json_,
    )


def lapse(item_id: IdArg, as_: AsOpt, home: HomeOpt = None, json_: JsonOpt = False) -> None:
    """Record that the purpose of an item has lapsed; it must be returned or destroyed (JK-6.h)."""
    with opened(home) as node:
        decision = node.handling.lapse(item_id=item_id, by=as_)
    _show(decision.as_dict(), json_, f"{decision.reason} ({', '.join(decision.rule_ids)})")


def due(as_: AsOpt, home: HomeOpt = None, json_: JsonOpt = False) -> None:
    """Held items that must now be returned or destroyed (JK-6.h), as the person may see them."""
    with opened(home) as node:
        rows = [
            {**item_row(r), "reason": d.reason, "rule_ids": list(d.rule_ids)}
            for r, d in node.handling.due(viewer=as_)
        ]
    _records(
        "Due for return or destruction", rows, ["item", "originator", "review_on", "reason"], json_
    )


def destroy(
    item_id: IdArg,
    as_: AsOpt,
    method: Annotated[
        str, typer.Option(help="How it was destroyed (one word).")
    ] = "crypto-shredding",
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Destroy an item and an original's copies: a record, the key shredded (JK-13, JK-6.h)."""
    with opened(home) as node:
        ids = node.handling.destroy(item_id=item_id, by=as_, method=method)
    _show({"destroyed": ids}, json_, f"destroyed {len(ids)}: {', '.join(ids)}")


def return_item(item_id: IdArg, as_: AsOpt, home: HomeOpt = None, json_: JsonOpt = False) -> None:
    """Return an item to the party that provided it; copies destroyed, key shredded (JK-6.h)."""
    with opened(home) as node:
        record = node.handling.return_item(item_id=item_id, by=as_)
    _show(item_row(record), json_, f"{record.id} returned; notice queued to the provider")


def reclassify(
    item_id: IdArg,
    level: Annotated[str, typer.Option(help="The new level of this party's scheme.")],
    as_: AsOpt,
    text: Annotated[str, typer.Option(help="Text of the written notice.")] = "",
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Change the level of an item this party provided; holders are told in writing (JK-6.g)."""
    with opened(home) as node:
        notice = node.reclassification.reclassify(item_id=item_id, level=level, by=as_, text=text)
    _show({"notice": notice, "item": item_id}, json_, f"notice {notice} queued to the holders")


# Consent, release, forwarding -------------------------------------------------------------------


@consent_app.command("request")
def consent_request(
    item_id: IdArg,
    to: Annotated[str, typer.Option("--to", help="The third party, or the hub's recipient.")],
    as_: AsOpt,
    reason: Annotated[str, typer.Option(help="Why the release is needed.")],
    kind: Annotated[
        str, typer.Option(help="release (JK-5.1, TI-3) or purpose (JK-5.2).")
    ] = "release",
    purpose: Annotated[
        str | None, typer.Option(help="The other purpose, for kind purpose.")
    ] = None,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Ask the originator in writing for consent."""
    with opened(home) as node:
        record = node.consent.request(
            item_id=item_id, to_party=to.upper(), by=as_, reason=reason, kind=kind, purpose=purpose
        )
    _show(record_row(record), json_, f"consent request {record.id} queued to {record.originator}")


@consent_app.command("grant")
def consent_grant(
    request_id: RequestArg,
    as_: AsOpt,
    note: AnswerNoteOpt = "",
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Grant a request, as the originator: a signed consent goes to the requester."""
    with opened(home) as node:
        record = node.consent.grant(request_id=request_id, by=as_, note=note)
    _show(record_row(record), json_, f"consent {record.id} granted and signed")


@consent_app.command("refuse")
def consent_refuse(
    request_id: RequestArg,
    as_: AsOpt,
    note: AnswerNoteOpt = "",
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Refuse a request, as the originator: a signed refusal goes to the requester."""
    with opened(home) as node:
        record = node.consent.refuse(request_id=request_id, by=as_, note=note)
    _show(record_row(record), json_, f"consent {record.id} refused")


@consent_app.command("list")
def consent_list(
    as_: AsOpt,
    state: Annotated[str | None, typer.Option(help="requested, granted or refused.")] = None,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Consent requests made or received, with their state (those the person may see)."""
    from gsomia.records import ConsentRecord

    with opened(home) as node:
        rows = [record_row(r) for r in node.queries.records(ConsentRecord, viewer=as_, state=state)]
    _records(
        "Consents",
        rows,
        ["id", "state", "role", "item", "to_party", "requester", "originator"],
        json_,
    )


def release(
    item_id: IdArg,
    to: Annotated[str, typer.Option("--to", help="The third party.")],
    as_: AsOpt,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Release a held item to a third party with the originator's written consent (JK-5.1)."""
    with opened(home) as node:
        transfer = node.release.release(item_id=item_id, to_party=to.upper(), by=as_)
    _show(
        {"item": item_id, "to": to.upper(), "transfer": transfer},
        json_,
        f"released; transfer {transfer} queued",
    )


def forward(
    item_ids: Annotated[list[str], typer.Argument(metavar="ID...", help="Relaying items.")],
    as_: AsOpt,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Forward relaying items as the hub, each once its originator consented (TI-2, TI-3);
    all or none, in as few transfers as their recipients allow."""
    with opened(home) as node:
        transfers = node.release.forward_many(item_ids=item_ids, by=as_)
    _show(
        {"items": item_ids, "transfers": transfers},
        json_,
        f"forwarded {len(item_ids)} items; {len(transfers)} transfers queued",
    )


# Incidents --------------------------------------------------------------------------------------


@incident_app.command("report")
def incident_report(
    item_ids: Annotated[
        list[str], typer.Argument(metavar="ID...", help="Items lost or compromised.")
    ],
    kind: Annotated[str, typer.Option(help="loss or compromise.")],
    as_: AsOpt,
    description: Annotated[str, typer.Option(help="What is known.")],
    possible: Annotated[
        bool, typer.Option("--possible", help="Possible, not (yet) actual.")
    ] = False,
    investigate_within: Annotated[
        int, typer.Option(help="Days to open the investigation (assumed).")
    ] = 30,
    report_within: Annotated[
        int, typer.Option(help="Days to report results and measures (assumed).")
    ] = 90,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Report a loss or compromise; each provider is notified at once (JK-17.1)."""
    from gsomia.services.acts.incidents import IncidentPolicy

    policy = IncidentPolicy(investigation_days=investigate_within, result_days=report_within)
    with opened(home) as node:
        record = node.incidents.report(
            item_ids=item_ids,
            kind=kind,
            possible=possible,
            by=as_,
            description=description,
            policy=policy,
        )
    parties = ", ".join(g["party"] for g in record.body["notified"]) or "nobody (own items)"
    _show(record_row(record), json_, f"incident {record.id} reported; notice queued to {parties}")


@incident_app.command("investigate")
def incident_investigate(
    incident_id: IncidentArg,
    as_: AsOpt,
    note: Annotated[str, typer.Option(help="What the investigation covers.")],
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Record that the investigation is open; the providers are told (JK-17.1)."""
    with opened(home) as node:
        record = node.incidents.investigate(incident_id=incident_id, by=as_, note=note)
    _show(record_row(record), json_, f"incident {record.id} under investigation")


@incident_app.command("close")
def incident_close(
    incident_id: IncidentArg,
    as_: AsOpt,
    result: Annotated[str, typer.Option(help="The investigation's result.")],
    measures: Annotated[str, typer.Option(help="Measures taken to prevent a recurrence.")],
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Close with the result and the measures taken; the providers are told (JK-17.1)."""
    with opened(home) as node:
        record = node.incidents.close(
            incident_id=incident_id, by=as_, result=result, measures=measures
        )
    _show(record_row(record), json_, f"incident {record.id} closed")


@incident_app.command("list")
def incident_list(
    as_: AsOpt,
    state: Annotated[
        str | None, typer.Option(help="reported, notified, investigating, closed.")
    ] = None,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Incidents with their deadlines and what is overdue (those the person may see)."""
    with opened(home) as node:
        rows = node.incidents.incidents(state=state, viewer=as_)
    for r in rows:
        r["overdue"] = ", ".join(r["overdue"]) if not json_ else r["overdue"]
    _records(
        "Incidents",
        rows,
        ["incident", "state", "role", "kind", "possible", "result_due", "overdue"],
        json_,
    )


# National law and visits ------------------------------------------------------------------------


@law_app.command("notify")
def law_notify(
    agreement: AgreementOpt,
    title: Annotated[str, typer.Option(help="The law or regulation.")],
    summary: Annotated[str, typer.Option(help="The change and how it affects protection.")],
    effective_on: Annotated[str, typer.Option(help="YYYY-MM-DD.")],
    as_: AsOpt,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Notify the other parties of a change to national law (JK-3.2)."""
    with opened(home) as node:
        record = node.liaison.notify_law(
            agreement_id=agreement,
            by=as_,
            title=title,
            summary=summary,
            effective_on=parse_day(effective_on, what="--effective-on"),
        )
    _show(record_row(record), json_, f"law notice {record.id} queued")


@law_app.command("list")
def law_list(as_: AsOpt, home: HomeOpt = None, json_: JsonOpt = False) -> None:
    """National-law notices given and received."""
    from gsomia.records import LawNoticeRecord

    with opened(home) as node:
        rows = [record_row(r) for r in node.queries.records(LawNoticeRecord, viewer=as_)]
    _records("Law notices", rows, ["id", "state", "agreement", "title", "effective_on"], json_)


@visit_app.command("request")
def visit_request(
    agreement: AgreementOpt,
    host: Annotated[str, typer.Option(help="The host party.")],
    facility: Annotated[str, typer.Option(help="The host's facility id.")],
    visitor: Annotated[list[str], typer.Option("--visitor", help="A visitor (repeatable).")],
    purpose: Annotated[str, typer.Option(help="Official purpose.")],
    subject: Annotated[str, typer.Option(help="Subject of the visit.")],
    scope: Annotated[str, typer.Option(help="Scope of the visit.")],
    start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option(help="Last day, YYYY-MM-DD.")],
    as_: AsOpt,
    max_level: Annotated[
        str | None, typer.Option(help="Highest level of the host's scheme to be shown.")
    ] = None,
    kind: Annotated[str, typer.Option(help="access (Art. 8) or security (Art. 18).")] = "access",
    consultation: Annotated[
        str, typer.Option(help="The prior consultation (security visits).")
    ] = "",
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Ask the host's competent authority for a visit (JK-8.1, JK-18.1)."""
    with opened(home) as node:
        record = node.liaison.request_visit(
            agreement_id=agreement,
            host=host.upper(),
            facility=facility,
            visitors=visitor,
            purpose=purpose,
            subject=subject,
            scope=scope,
            start=parse_day(start, what="--start"),
            end=parse_day(end, what="--end"),
            by=as_,
            kind=kind,
            max_level=max_level,
            consultation=consultation,
        )
    _show(record_row(record), json_, f"visit request {record.id} queued to {host.upper()}")


@visit_app.command("approve")
def visit_approve(
    visit_id: VisitArg,
    as_: AsOpt,
    place: Annotated[str, typer.Option(help="Agreed place (security visits).")] = "",
    modality: Annotated[str, typer.Option(help="Agreed modality (security visits).")] = "",
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Authorise a visit as the host; the facility is briefed (JK-8.1)."""
    with opened(home) as node:
        record = node.liaison.approve_visit(
            visit_id=visit_id, by=as_, place=place, modality=modality
        )
    _show(record_row(record), json_, f"visit {record.id} approved")


@visit_app.command("refuse")
def visit_refuse(
    visit_id: VisitArg,
    as_: AsOpt,
    reason: Annotated[str, typer.Option(help="Why.")],
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Refuse a visit as the host."""
    with opened(home) as node:
        record = node.liaison.refuse_visit(visit_id=visit_id, by=as_, reason=reason)
    _show(record_row(record), json_, f"visit {record.id} refused")


@visit_app.command("list")
def visit_list(as_: AsOpt, home: HomeOpt = None, json_: JsonOpt = False) -> None:
    """Visits requested and hosted."""
    from gsomia.records import VisitRecord

    with opened(home) as node:
        rows = [record_row(r) for r in node.queries.records(VisitRecord, viewer=as_)]
    _records("Visits", rows, ["id", "state", "role", "kind", "facility", "start", "end"], json_)


# Contractors ------------------------------------------------------------------------------------


@contractor_app.command("condition")
def contractor_condition(
    facility: Annotated[str, typer.Argument(metavar="FACILITY")],
    condition: Annotated[str, typer.Argument(metavar="CONDITION", help="a to o, or all.")],
    evidence: Annotated[str, typer.Option(help="What shows the condition is met.")],
    as_: AsOpt,
    met_on: Annotated[str | None, typer.Option(help="Day it was met, YYYY-MM-DD.")] = None,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Record that Art. 16(CONDITION) is met for a contractor facility (JK-16.x), today or
    on --met-on (an inspection, (g), falls due again)."""
    if not evidence.strip():
        raise InputError("--evidence: say what shows the condition is met")
    day = parse_day(met_on, what="--met-on") if met_on else None
    with opened(home) as node:
        conditions = node.registry.conditions()
        keys = sorted(conditions) if condition.strip().lower() == "all" else [condition]
        records = [
            node.registry.record_condition(
                facility_id=facility, condition=k, evidence=evidence, by=as_, met_on=day
            )
            for k in keys
        ]
        missing = node.contractors.missing(facility)
    view = {
        "facility": facility,
        "recorded": [r.condition for r in records],
        "missing": missing,
    }
    recorded, left = ", ".join(view["recorded"]), ", ".join(missing) or "none"
    text = f"recorded ({recorded}) for {facility}; missing: {left}"
    _show(view, json_, text)


@contractor_app.command("hand-over")
def contractor_hand_over(
    item_id: IdArg,
    facility: Annotated[str, typer.Option(help="The contractor facility.")],
    as_: AsOpt,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Hand an item over to a contractor facility whose Art. 16 conditions are met (JK-16.x)."""
    with opened(home) as node:
        record = node.contractors.hand_over(item_id=item_id, facility_id=facility, by=as_)
    _show(item_row(record), json_, f"{record.id} handed over to {facility}")

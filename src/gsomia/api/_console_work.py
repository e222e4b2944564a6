"""What the console's working pages show: the inbox, consents, incidents, notes, visits and
the registry, each row with the marking of the items it is about.

Every list comes from the same queries as the REST API (those the person may see); every
row about an item carries that item's portion marking in the node's own scheme, and the
page's banner is the highest of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from gsomia.api._console_views import Page, own_level, when
from gsomia.api.banners import Banner, marking
from gsomia.core.classification import Level
from gsomia.core.people import Authority, Person
from gsomia.records import ConsentRecord, LawNoticeRecord, NoteRecord, VisitRecord
from gsomia.services.node import Node
from gsomia.services.overview import Marking
from gsomia.services.what_if import WhatIfService

__all__ = [
    "Marked",
    "consents_page",
    "inbox_page",
    "incidents_page",
    "notes_page",
    "provide_page",
    "registry_page",
    "visits_page",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Marked:
    """A row and the marking of the items it is about (the highest, in the node's scheme)."""

    row: Any
    level: Level | None
    marking: Banner


def _marked(node: Node, markings: dict[str, Marking], row: Any, item_ids: Iterable[str]) -> Marked:
    levels = [
        own_level(node, node.ctx.agreement(m.agreement_id), m.holder_level_ref)
        for m in (markings.get(i) for i in item_ids)
        if m is not None
    ]
    level = max(levels, default=None)
    return Marked(row=row, level=level, marking=marking(level))


def _marked_all(node: Node, rows: list[Any], about: Callable[[Any], Iterable[str]]) -> list[Marked]:
    """Each row with its marking, read for all the rows at once."""
    markings = node.overview.markings(i for row in rows for i in about(row))
    return [_marked(node, markings, row, about(row)) for row in rows]


def _levels(*groups: list[Marked]) -> tuple[Level, ...]:
    return tuple(m.level for g in groups for m in g if m.level is not None)


def _consents(node: Node, person: Person) -> list[Marked]:
    shown = node.queries.records(ConsentRecord, viewer=person.id)
    return _marked_all(node, shown, lambda s: [s.record.item])


def _incidents(node: Node, person: Person) -> list[Marked]:
    shown = node.incidents.incidents(viewer=person.id)
    return _marked_all(node, shown, lambda i: [str(x) for x in i.get("items", ())])


def inbox_page(node: Node, person: Person) -> Page:
    """What waits for this person (one query, each row one they may see): consent requests
    to answer, items to place, purposes lapsed, incidents open, notes received, alarms for
    those who may see the ledger and the facilities for those who may see the registry."""
    inbox = node.overview.inbox(viewer=person.id)
    m = inbox.markings

    def marked(rows: Iterable[tuple[Any, Iterable[str]]]) -> list[Marked]:
        return [_marked(node, m, row, ids) for row, ids in rows]

    consents = marked((s, [s.record.item]) for s in inbox.consents)
    incidents = marked((i, [str(x) for x in i.get("items", ())]) for i in inbox.incidents)
    unplaced = marked((r, [r.id]) for r in inbox.unplaced)
    lapsed = marked(((r, d), [r.id]) for r, d in inbox.lapsed)
    notes = marked((s, []) for s in inbox.notes)
    alarms = [(when(a.raised_at), a.finding, a.message) for a in inbox.alarms]
    if inbox.dead_letters:
        alarms.append(("", "dead letters", f"{inbox.dead_letters} messages could not be delivered"))
    return Page(
        context={
            "consents": consents,
            "unplaced": unplaced,
            "lapsed": lapsed,
            "incidents": incidents,
            "notes": notes,
            "alarms": alarms,
            "facilities": inbox.facilities,
        },
        levels=_levels(consents, incidents, unplaced, lapsed),
    )


def consents_page(node: Node, person: Person) -> Page:
    """Every consent request the person may see, asked of this node or by it."""
    rows = _consents(node, person)
    return Page(context={"consents": rows}, levels=_levels(rows))


def incidents_page(node: Node, person: Person) -> Page:
    """Every incident the person may see, with its deadlines."""
    rows = _incidents(node, person)
    return Page(context={"incidents": rows}, levels=_levels(rows))


def _agreements(node: Node) -> list[Any]:
    policy = WhatIfService(node.ctx.agreements)
    return [a for a in policy.agreements() if node.party in a.party_codes]


def provide_page(node: Node) -> Page:
    """The choices of the provide form: agreements, partners and this party's levels."""
    agreements = _agreements(node)
    partners = sorted({p for a in agreements for p in a.party_codes} - {node.party})
    levels = sorted(node.ctx.files.schemes.scheme(node.party), reverse=True)
    return Page(context={"agreements": agreements, "partners": partners, "levels": levels})


def notes_page(node: Node, person: Person) -> Page:
    """The notes and notices of law given and received, and the agreements to give one on."""
    shown = node.queries.records(NoteRecord, viewer=person.id)
    rows = [Marked(row=s, level=None, marking=marking(None)) for s in shown]
    notices = node.queries.records(LawNoticeRecord, viewer=person.id)
    return Page(context={"notes": rows, "notices": notices, "agreements": _agreements(node)})


def visits_page(node: Node, person: Person) -> Page:
    """Visit requests asked of this node or by it, and their answers."""
    rows = node.queries.records(VisitRecord, viewer=person.id)
    return Page(context={"visits": rows})


def registry_page(node: Node, person: Person) -> Page:
    """Facilities, persons with their clearances, authorities and Art. 16 conditions (for
    those the rules let see the registry)."""
    facilities = node.registry.facilities(viewer=person.id)
    persons = node.registry.persons(viewer=person.id)
    authorities = node.registry.authorities(viewer=person.id)
    conditions = node.registry.conditions()
    return Page(
        context={
            "facilities": facilities,
            "persons": persons,
            "authorities": authorities,
            "conditions": conditions,
            "authority_names": [a.value for a in Authority],
        }
    )

"""What the console's working pages show: the inbox, consents, incidents, notes, visits and
the registry, each row with the marking of the items it is about.

Every list comes from the same queries as the REST API (those the person may see); every
row about an item carries that item's portion marking in the node's own scheme, and the
page's banner is the highest of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gsomia.api._console_views import Page, own_level, when
from gsomia.api.banners import Banner, marking
from gsomia.core.classification import Level
from gsomia.core.people import Authority, Person
from gsomia.core.rules import Act
from gsomia.errors import GsomiaError
from gsomia.ports.store import ItemState
from gsomia.records import ConsentRecord, LawNoticeRecord, NoteRecord, VisitRecord
from gsomia.services.node import Node
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


def _level_of(node: Node, item_ids: tuple[str, ...] | list[str]) -> Level | None:
    levels = []
    with node.ctx.store.read() as uow:
        for item_id in item_ids:
            try:
                record = uow.item(item_id)
            except GsomiaError:
                continue
            agreement = node.ctx.agreement(record.agreement_id)
            levels.append(own_level(node, agreement, record.holder_level_ref))
    return max(levels, default=None)


def _marked(node: Node, row: Any, item_ids: tuple[str, ...] | list[str]) -> Marked:
    level = _level_of(node, item_ids)
    return Marked(row=row, level=level, marking=marking(level))


def _levels(*groups: list[Marked]) -> tuple[Level, ...]:
    return tuple(m.level for g in groups for m in g if m.level is not None)


def _consents(node: Node, person: Person) -> list[Marked]:
    shown = node.queries.records(ConsentRecord, viewer=person.id)
    return [_marked(node, s, [s.record.item]) for s in shown]


def _incidents(node: Node, person: Person) -> list[Marked]:
    shown = node.incidents.incidents(viewer=person.id)
    return [_marked(node, i, list(i.get("items", ()))) for i in shown]


def _unplaced(node: Node, person: Person) -> list[Marked]:
    held = node.queries.items(viewer=person.id, state=ItemState.HELD, limit=500)
    return [_marked(node, r, [r.id]) for r in held if r.facility_id is None]


def _lapsed(node: Node, person: Person) -> list[Marked]:
    return [_marked(node, (r, d), [r.id]) for r, d in node.handling.due(viewer=person.id)]


def _notes(node: Node, person: Person) -> list[Marked]:
    shown = node.queries.records(NoteRecord, viewer=person.id)
    return [_marked(node, s, []) for s in shown]


def _alarms(node: Node) -> list[tuple[str, str, str]]:
    out = [(when(a.raised_at), a.finding, a.message) for a in node.audit.alarms()]
    counts = node.delivery.counts()
    dead = counts.get("dead", 0)
    if dead:
        out.append(("", "dead letters", f"{dead} messages could not be delivered"))
    return out


def inbox_page(node: Node, person: Person) -> Page:
    """What waits for this person: consent requests to answer, items to place, purposes
    lapsed, incidents open, notes received and alarms."""
    consents = [
        m
        for m in _consents(node, person)
        if m.row.record.state == "requested" and m.row.record.role == "originator"
    ]
    incidents = [m for m in _incidents(node, person) if m.row["state"] != "closed"]
    unplaced = _unplaced(node, person)
    lapsed = _lapsed(node, person)
    notes = [m for m in _notes(node, person) if m.row.record.state == "received"]
    alarms = (
        _alarms(node) if node.queries.sees_node(Act.VIEW_LEDGER, person.id, what="ledger") else []
    )
    with node.ctx.store.read() as uow:
        facilities = uow.facilities()
    return Page(
        context={
            "consents": consents,
            "unplaced": unplaced,
            "lapsed": lapsed,
            "incidents": incidents,
            "notes": notes,
            "alarms": alarms,
            "facilities": facilities,
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
    rows = _notes(node, person)
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

"""Factories for rule tests: an item Japan provided to the ROK, and an ROK official."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from gsomia.core.agreements import Agreement, AgreementLibrary, parse_instant
from gsomia.core.classification import SchemeRegistry
from gsomia.core.items import Item
from gsomia.core.people import Clearance, Person, Role
from gsomia.core.rules import Act, AdministerRequest, Rulebook


def on(agreement: Agreement, text: str) -> datetime:
    return parse_instant(text, tz=agreement.tz)


def administer(
    rulebook: Rulebook, library: AgreementLibrary, agreement_id: str, act: Act, **fields: Any
) -> bool:
    """Whether ``act`` on the ROK's registry (``fields`` of an AdministerRequest: person,
    target, what...) is allowed under ``agreement_id`` on 1 January 2020; the decision cites
    the agreement's registry article and nothing else."""
    agreement = library.get(agreement_id)
    fields.setdefault("person", None)
    fields.setdefault("what", "registry")
    request = AdministerRequest(
        agreement=agreement, party="KOR", at=on(agreement, "2020-01-01"), **fields
    )
    decision = rulebook.decide(act, request)
    assert decision.rule_ids == (agreement.rule_id("register"),), decision
    return decision.allowed


def held_item(agreement: Agreement, schemes: SchemeRegistry, **changes: object) -> Item:
    """A 極秘 item from Japan held by the ROK as 군사II급비밀, topic nk-missile."""
    values: dict[str, object] = {
        "id": "a" * 32,
        "agreement_id": agreement.id,
        "originator": "JPN",
        "holder": "KOR",
        "level": schemes.parse("極秘"),
        "holder_level": schemes.parse("군사II급비밀"),
        "topic": "nk-missile",
        "purpose": "missile warning",
        "provided_at": on(agreement, "2019-10-02"),
        "facility": "kor-mnd-hq",
    }
    values.update(changes)
    return Item(**values)  # type: ignore[arg-type]


def officer(schemes: SchemeRegistry, **changes: object) -> Person:
    """An ROK official cleared to 군사II급비밀, need nk-missile, on the HQ register."""
    values: dict[str, object] = {
        "id": "kim",
        "party": "KOR",
        "name": "Kim",
        "role": Role.OFFICIAL,
        "clearance": Clearance(level=schemes.parse("군사II급비밀"), granted_on=date(2015, 1, 1)),
        "need_to_know": frozenset({"nk-missile"}),
        "registered_at": frozenset({"kor-mnd-hq"}),
    }
    values.update(changes)
    return Person(**values)  # type: ignore[arg-type]

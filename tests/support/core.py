"""Factories for rule tests: an item Japan provided to the ROK, and an ROK official."""

from __future__ import annotations

from datetime import date, datetime

from gsomia.core.agreements import Agreement, parse_instant
from gsomia.core.classification import SchemeRegistry
from gsomia.core.items import Item
from gsomia.core.people import Clearance, Person, Role


def on(agreement: Agreement, text: str) -> datetime:
    return parse_instant(text, tz=agreement.tz)


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

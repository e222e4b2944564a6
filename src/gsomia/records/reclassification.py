"""Records of reclassification notices (JK-6.g)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from gsomia.records.base import Record, key

__all__ = ["ReclassificationRecord"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReclassificationRecord(Record):
    """A notice of a new level: sent by the originator (``role`` originator: notified →
    acknowledged once every holder answered), or received by a holder (``role`` holder:
    applied or refused, with the rules)."""

    KIND: ClassVar[str] = "reclassification"
    INITIAL: ClassVar[frozenset[str]] = frozenset({"notified", "applied", "refused"})
    TRANSITIONS: ClassVar[Mapping[str, frozenset[str]]] = {
        "notified": frozenset({"notified", "acknowledged"}),
        "acknowledged": frozenset(),
        "applied": frozenset(),
        "refused": frozenset(),
    }

    role: str
    item: str
    level: str
    previous_level: str | None = None
    to: tuple[str, ...] = ()
    replies: Mapping[str, Any] = field(default_factory=dict)
    from_party: str | None = key("from", None)
    reason: str | None = None
    rule_ids: tuple[str, ...] = ()

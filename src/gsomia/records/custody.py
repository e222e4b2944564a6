"""Records of custody: the copy register, placements, hand-overs, returns, destructions and
transfer receipts (JK-6.e, JK-6.f, JK-6.h, JK-9.1, JK-13, JK-14, JK-16.x)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from gsomia.records.base import Record, key

__all__ = [
    "CopyRecord",
    "DestructionRecord",
    "HandOverRecord",
    "PlacementRecord",
    "ReceiptRecord",
    "ReturnRecord",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class CopyRecord(Record):
    """One entry of an original's copy register (JK-6.f): a copy or a translation (its
    state), its number, who made it and where."""

    KIND: ClassVar[str] = "copy"
    INITIAL: ClassVar[frozenset[str]] = frozenset({"copy", "translation"})
    TRANSITIONS: ClassVar[Mapping[str, frozenset[str]]] = {
        "copy": frozenset(),
        "translation": frozenset(),
    }

    number: int | None
    kind: str
    of: str | None
    by: str
    facility: str | None
    made_at: str
    translator: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PlacementRecord(Record):
    """An item entered on the register of a government facility (JK-6.e, JK-6.f)."""

    KIND: ClassVar[str] = "placement"
    INITIAL: ClassVar[frozenset[str]] = frozenset({"placed"})
    TRANSITIONS: ClassVar[Mapping[str, frozenset[str]]] = {"placed": frozenset({"placed"})}

    facility: str
    from_facility: str | None = key("from", None)
    by: str
    at: str


@dataclass(frozen=True, slots=True, kw_only=True)
class HandOverRecord(Record):
    """An item moved to a contractor facility once Art. 16 was met (JK-16.x)."""

    KIND: ClassVar[str] = "hand-over"
    INITIAL: ClassVar[frozenset[str]] = frozenset({"handed-over"})
    TRANSITIONS: ClassVar[Mapping[str, frozenset[str]]] = {"handed-over": frozenset()}

    facility: str
    contractor: str
    from_facility: str | None = key("from", None)
    by: str
    at: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReturnRecord(Record):
    """A return (JK-6.h): by this node to ``to`` (state returned), or to this node from
    ``from`` (state returned-to-us)."""

    KIND: ClassVar[str] = "return"
    INITIAL: ClassVar[frozenset[str]] = frozenset({"returned", "returned-to-us"})
    TRANSITIONS: ClassVar[Mapping[str, frozenset[str]]] = {
        "returned": frozenset(),
        "returned-to-us": frozenset(),
    }

    at: str
    to: str | None = None
    by: str | None = None
    from_party: str | None = key("from", None)
    message: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DestructionRecord(Record):
    """Who destroyed an item, where, when and how (JK-13)."""

    KIND: ClassVar[str] = "destruction"
    INITIAL: ClassVar[frozenset[str]] = frozenset({"destroyed"})
    TRANSITIONS: ClassVar[Mapping[str, frozenset[str]]] = {"destroyed": frozenset()}

    by: str
    facility: str | None
    method: str
    kind: str
    of: str | None
    at: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiptRecord(Record):
    """A partner's signed receipt of a transfer: how many items it accepted, and each
    refusal with its rules (JK-9.1)."""

    KIND: ClassVar[str] = "receipt"
    INITIAL: ClassVar[frozenset[str]] = frozenset({"accepted", "refused"})
    TRANSITIONS: ClassVar[Mapping[str, frozenset[str]]] = {
        "accepted": frozenset(),
        "refused": frozenset(),
    }

    to: str
    accepted: int
    refused: tuple[Mapping[str, Any], ...] = ()

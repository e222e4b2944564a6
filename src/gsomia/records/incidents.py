"""Records of loss or compromise (JK-17.1): the reporter's incident and the provider's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from gsomia.records.base import Record, key

__all__ = ["IncidentRecord"]


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentRecord(Record):
    """An actual or possible loss or compromise. On the reporter's node (``role``
    reporter): reported → investigating → closed, with whom it notified and their
    acknowledgements. On a provider's (``role`` provider): notified → investigating →
    closed, with who notified it."""

    KIND: ClassVar[str] = "incident"
    INITIAL: ClassVar[frozenset[str]] = frozenset({"reported", "notified"})
    TRANSITIONS: ClassVar[Mapping[str, frozenset[str]]] = {
        "reported": frozenset({"investigating", "closed"}),
        "notified": frozenset({"investigating", "closed"}),
        "investigating": frozenset({"investigating", "closed"}),
        "closed": frozenset(),
    }

    role: str
    kind: str
    possible: bool
    items: tuple[str, ...]
    description: str
    reported_at: str
    investigation_due: str
    result_due: str
    phases: tuple[Mapping[str, Any], ...] = ()
    by: str | None = None
    notice_due: str | None = None
    notified: tuple[Mapping[str, Any], ...] = ()
    acknowledged: Mapping[str, Any] = field(default_factory=dict)
    from_party: str | None = key("from", None)
    notice_received_at: str | None = None
    relayed: bool = False
    note: str | None = None
    result: str | None = None
    measures: str | None = None

"""The questions the rules answer, one request type per act."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from gsomia.core.agreements import Agreement
from gsomia.core.classification import Level
from gsomia.core.items import Consent, Item
from gsomia.core.people import Person

__all__ = [
    "AccessRequest",
    "ForwardRequest",
    "ReclassificationRequest",
    "ReleaseRequest",
    "RetentionRequest",
    "SendRequest",
    "UseRequest",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class SendRequest:
    """May ``originator`` provide an item at ``level`` on ``topic`` to ``recipient`` at ``at``
    under ``agreement``, along ``path`` (originator first; ``None`` means the agreement's
    route)? ``others`` are the other agreements the node knows, for the basis of a
    non-binding arrangement (TI-5, TI-7)."""

    agreement: Agreement
    originator: str
    recipient: str
    level: Level
    topic: str
    at: datetime
    path: tuple[str, ...] | None = None
    others: Mapping[str, Agreement] | None = None

    @property
    def route(self) -> tuple[str, ...]:
        if self.path is not None:
            return self.path
        return self.agreement.route.path(self.originator, self.recipient)


@dataclass(frozen=True, slots=True, kw_only=True)
class ForwardRequest:
    """May ``hub`` forward an item it holds to ``recipient`` (TI-3 consent gate)?"""

    agreement: Agreement
    hub: str
    item: Item
    recipient: str
    at: datetime
    consent: Consent | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessRequest:
    """May ``person`` open ``item`` at ``at`` (JK-7)? ``contractor_cleared`` is true when
    Art. 16's conditions are recorded as met for the person's contractor facility."""

    agreement: Agreement
    person: Person
    item: Item
    at: datetime
    contractor_cleared: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseRequest:
    """May the holder release ``item`` to ``to_party``, a third party (JK-5.1, TI-6)?"""

    agreement: Agreement
    item: Item
    to_party: str
    at: datetime
    consent: Consent | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UseRequest:
    """May the holder use ``item`` for ``purpose`` (JK-5.2)?"""

    agreement: Agreement
    item: Item
    purpose: str
    at: datetime
    consent: Consent | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReclassificationRequest:
    """``notice_from`` tells the holder that ``item`` is now at ``new_level`` (JK-6.g)."""

    agreement: Agreement
    item: Item
    notice_from: str
    new_level: Level
    in_writing: bool
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class RetentionRequest:
    """May the holder keep ``item`` at ``at``, or must it return or destroy it (JK-6.h)?"""

    agreement: Agreement
    item: Item
    at: datetime

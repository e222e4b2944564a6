"""Request and response bodies of the user API (pydantic), with their limits."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from gsomia.core.people import Person
from gsomia.errors import InputError
from gsomia.ports.store import ItemRecord, LabelRecord, WorkflowRecord
from gsomia.records import Record
from gsomia.services.plumbing.context import Stored
from gsomia.services.plumbing.views import record_view
from gsomia.services.what_if import check_years

__all__ = [
    "CheckSendIn",
    "Day",
    "DecisionOut",
    "Instant",
    "ItemOut",
    "OpenIn",
    "OpenOut",
    "PersonOut",
    "ProvideIn",
    "ProvideOut",
    "RecordOut",
]

Party = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Topic = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]
LevelText = Annotated[str, Field(min_length=1, max_length=64)]


def _in_years(value: date) -> date:
    try:
        check_years(value, what=value.isoformat())
    except InputError as exc:
        raise ValueError(str(exc)) from None
    return value


#: An instant with its time zone, in the years the node takes (else 422).
Instant = Annotated[AwareDatetime, AfterValidator(_in_years)]
#: A calendar date in the years the node takes (else 422).
Day = Annotated[date, AfterValidator(_in_years)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ProvideIn(_In):
    """Items to provide: contents base64-encoded, all under one marking."""

    to: Party
    level: LevelText
    topic: Topic
    purpose: Annotated[str, Field(min_length=1, max_length=512)]
    agreement: Annotated[str | None, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")] = None
    contents: Annotated[
        list[Annotated[str, Field(max_length=8_000_000)]], Field(min_length=1, max_length=10_000)
    ]


class CheckSendIn(_In):
    """A what-if question: may ``originator`` provide to ``recipient``?"""

    originator: Party
    recipient: Party
    level: LevelText
    topic: Topic
    on: Annotated[str, Field(min_length=10, max_length=40)]
    agreement: Annotated[str | None, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")] = None


class DecisionOut(BaseModel):
    """A decision and the rules it rests on."""

    act: str
    allowed: bool
    rule_ids: list[str]
    reason: str
    obligations: list[str]
    agreement: str | None = None


class ProvideOut(DecisionOut):
    """What was provided."""

    route: list[str]
    items: list[str]
    transfers: list[str]


class LabelOut(BaseModel):
    """One label version (canonical JSON as text)."""

    digest: str
    revision: int
    label: str


class ItemOut(BaseModel):
    """An item's record and markings, never its content."""

    id: str
    agreement: str
    originator: str
    holder: str
    state: str
    topic: str
    purpose: str
    level: str
    marking: str
    label_digest: str
    provided_at: str
    kind: str
    labels: list[LabelOut] = []

    @classmethod
    def of(cls, r: ItemRecord, labels: list[LabelRecord] | None = None) -> ItemOut:
        return cls(
            id=r.id,
            agreement=r.agreement_id,
            originator=r.originator,
            holder=r.holder,
            state=r.state.value,
            topic=r.topic,
            purpose=r.purpose,
            level=r.level_ref,
            marking=r.holder_level_ref,
            label_digest=r.label_digest,
            provided_at=r.provided_at.isoformat(),
            kind=r.kind,
            labels=[
                LabelOut(digest=x.digest, revision=x.revision, label=x.label.decode("utf-8"))
                for x in labels or []
            ],
        )


class RecordOut(BaseModel):
    """A workflow record: its kind, id, state and version, and its typed fields (the record
    class of its kind, :mod:`gsomia.records`), never the stored body as such."""

    kind: str
    id: str
    state: str
    version: int | None
    item: str | None
    updated_at: str | None
    signed: bool
    fields: dict[str, Any]

    @classmethod
    def of(cls, value: WorkflowRecord | Record | Stored[Any]) -> RecordOut:
        view = record_view(value)
        head = {k: view.pop(k) for k in ("kind", "id", "state", "version", "item", "updated_at")}
        signed = bool(view.pop("signed"))
        return cls(**head, signed=signed, fields=view)


class OpenIn(_In):
    """How an item is to be used: another purpose than the one of its provision needs the
    originator's written consent (JK-5.2)."""

    purpose: Annotated[str | None, Field(min_length=1, max_length=512)] = None


class OpenOut(BaseModel):
    """An opened item's content, base64-encoded."""

    item: str
    content: str


class PersonOut(BaseModel):
    """A registered person."""

    id: str
    party: str
    name: str
    role: str
    clearance: str | None
    need_to_know: list[str]
    facilities: list[str]
    authorities: list[str] = []

    @classmethod
    def of(cls, p: Person) -> PersonOut:
        return cls(
            id=p.id,
            party=p.party,
            name=p.name,
            role=p.role.value,
            clearance=p.clearance.level.ref if p.clearance else None,
            need_to_know=sorted(p.need_to_know),
            facilities=sorted(p.registered_at),
            authorities=sorted(a.value for a in p.authorities),
        )

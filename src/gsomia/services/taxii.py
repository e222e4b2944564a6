"""TAXII 2.1 queries over a node: collections, objects, versions, and STIX ingest.

A node has one API root and one collection per agreement its party is party to, plus one
for the missile warnings it holds. A collection lists only what the person may see (the
visibility rules, through :class:`~gsomia.services.plumbing.queries.Queries`); reading an item's
object is an *open*, decided by the rules and recorded in the ledger
(:meth:`CustodyService.open`), as is reading the warnings of a stream announced by a partner
(an open of the announcement item). Items are listed in id order, so the page cursor is the
last item id read (keyset pagination: stable while items are added); ``date_added`` is when
the item was stored here.

An envelope posted to an agreement's collection is provided as items under that agreement
through :meth:`CustodyService.provide` (one provision: labels, sealing, ledger, outbox), or
refused whole with the reason (:func:`~gsomia.interop.taxii.plan_ingest`).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gsomia.core.labels import Label
from gsomia.core.people import Person, Role
from gsomia.errors import InputError, PolicyDenied, UnknownName
from gsomia.interop.stix import (
    NAMESPACE,
    STIX_MEDIA_TYPE,
    Marking,
    common_objects,
    item_object,
    object_version,
    timestamp,
    warning_object,
)
from gsomia.interop.taxii import ObjectQuery, plan_ingest
from gsomia.ports.store import ItemRecord, ItemState
from gsomia.services.acts.custody import CustodyService, Provision
from gsomia.services.feed import FeedService
from gsomia.services.plumbing.context import NodeContext
from gsomia.services.plumbing.queries import Queries
from gsomia.services.warning_board import HeldWarning, board_of

__all__ = ["Collection", "Entry", "Page", "Status", "TaxiiService"]

_logger = logging.getLogger(__name__)
_SCAN = 200
#: How many items one request reads past the page before it answers ``more``.
_SCAN_LIMIT = 20_000
_STATUSES = 1000
_KNOWN = 200_000
_WRITERS = (Role.OFFICIAL, Role.SECURITY_OFFICER)


def _uuid(name: str) -> str:
    return str(uuid.UUID(bytes=uuid.uuid5(NAMESPACE, name).bytes, version=4))


@dataclass(frozen=True, slots=True, kw_only=True)
class Collection:
    """A TAXII collection: one agreement's items, or the warnings (``agreement_id`` None)."""

    id: str
    title: str
    description: str
    agreement_id: str | None
    can_read: bool
    can_write: bool

    def to_taxii(self) -> dict[str, Any]:
        """The collection resource (TAXII 2.1 §5.2)."""
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "can_read": self.can_read,
            "can_write": self.can_write,
            "media_types": [STIX_MEDIA_TYPE],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One object version in a collection and when it was added; ``marking`` is the
    marking it refers to (None for the definitions themselves)."""

    obj: dict[str, Any]
    date_added: datetime
    marking: Marking | None = None

    @property
    def version(self) -> str:
        """``modified``, else ``created``, else the date added (TAXII 2.1 §3.4.1)."""
        return object_version(self.obj, date_added=timestamp(self.date_added))

    def manifest(self) -> dict[str, Any]:
        """The manifest record (TAXII 2.1 §5.6)."""
        return {
            "id": self.obj["id"],
            "date_added": timestamp(self.date_added),
            "version": self.version,
            "media_type": STIX_MEDIA_TYPE,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    """A page of entries; ``next`` resumes after it when ``more``."""

    entries: list[Entry]
    more: bool
    next: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Status:
    """The status of an envelope posted to a collection (TAXII 2.1 §4.3)."""

    id: str
    person: str
    requested_at: datetime
    successes: tuple[tuple[str, str], ...]
    items: tuple[str, ...] = field(default=())

    def to_taxii(self) -> dict[str, Any]:
        """The status resource: ingest is all or nothing, so it is complete when it exists."""
        return {
            "id": self.id,
            "status": "complete",
            "request_timestamp": timestamp(self.requested_at),
            "total_count": len(self.successes),
            "success_count": len(self.successes),
            "successes": [
                {"id": stix, "version": version, "message": f"provided as item {item}"}
                for (stix, version), item in zip(self.successes, self.items, strict=True)
            ],
            "failure_count": 0,
            "failures": [],
            "pending_count": 0,
            "pendings": [],
        }


class TaxiiService:
    """TAXII 2.1 collections of one node, as one person sees them."""

    def __init__(self, ctx: NodeContext, custody: CustodyService, feed: FeedService) -> None:
        self.ctx = ctx
        self._custody = custody
        self._board = board_of(feed)
        self._statuses: OrderedDict[str, Status] = OrderedDict()
        # What opening each item showed of its object (id, type, version) and its marking,
        # so that a manifest need not open again. A cache of content, never a decision.
        self._known: OrderedDict[str, Entry] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def api_root(self) -> str:
        """The node's one API root, named after its party."""
        return self.ctx.party.lower()

    # Collections -------------------------------------------------------------------------

    def collections(self, person: Person) -> list[Collection]:
        """The collections of this node: one per agreement of its party, and the warnings."""
        mine = person.party == self.ctx.party
        out = [
            Collection(
                id=_uuid(f"collection:{self.ctx.party}:{a.id}"),
                title=a.short_name,
                description=f"Items held by {self.ctx.party} under {a.title}",
                agreement_id=a.id,
                can_read=mine,
                can_write=mine and person.role in _WRITERS,
            )
            for a in self.ctx.agreements.agreements.values()
            if self.ctx.party in a.party_codes
        ]
        out.append(
            Collection(
                id=_uuid(f"collection:{self.ctx.party}:warnings"),
                title="Missile warnings",
                description=f"Missile warnings {self.ctx.party} holds (RT-1)",
                agreement_id=None,
                can_read=mine,
                can_write=False,
            )
        )
        return out

    def collection(self, person: Person, collection_id: str) -> Collection:
        """One collection; raises :class:`UnknownName` for another id."""
        for collection in self.collections(person):
            if collection.id == collection_id:
                return collection
        raise UnknownName(kind="collection", name=collection_id, known=())

    def _readable(self, person: Person, collection_id: str) -> Collection:
        # Every person of the node may read a collection; what it lists is decided row by
        # row by the visibility rules, and every object read is an open the rules decide.
        return self.collection(person, collection_id)

    # Objects -----------------------------------------------------------------------------

    def objects(self, person: Person, collection_id: str, query: ObjectQuery) -> Page:
        """A page of the collection's objects that ``person`` may see and open."""
        collection = self._readable(person, collection_id)
        if collection.agreement_id is None:
            return self._warnings(person, query)
        return self._items(person, collection.agreement_id, query, manifest=False)

    def manifest(self, person: Person, collection_id: str, query: ObjectQuery) -> Page:
        """The manifest of a page: like :meth:`objects`, but an item whose object this
        node has opened before is described from then, without opening it again."""
        collection = self._readable(person, collection_id)
        if collection.agreement_id is None:
            return self._warnings(person, query)
        return self._items(person, collection.agreement_id, query, manifest=True)

    def versions(self, person: Person, collection_id: str, object_id: str) -> list[Entry]:
        """Every version of one object in the collection; raises :class:`UnknownName`."""
        query = ObjectQuery(limit=1000, ids=frozenset({object_id}), versions=frozenset({"all"}))
        entries: list[Entry] = []
        page = self.objects(person, collection_id, query)
        entries += page.entries
        while page.more and page.next:
            query = ObjectQuery(
                limit=1000, after_item=page.next, ids=query.ids, versions=query.versions
            )
            page = self.objects(person, collection_id, query)
            entries += page.entries
        if not entries:
            raise UnknownName(kind="object", name=object_id, known=())
        return entries

    @staticmethod
    def _listed(
        sees: Callable[[ItemRecord], bool],
        record: ItemRecord,
        agreement_id: str,
        query: ObjectQuery,
    ) -> bool:
        if record.agreement_id != agreement_id:
            return False
        if query.added_after is not None and _ms(record.recorded_at) <= query.added_after:
            return False
        return sees(record)

    def _items(
        self, person: Person, agreement_id: str, query: ObjectQuery, *, manifest: bool
    ) -> Page:
        """Read items after the cursor until the page (with the definitions it needs) is
        full, then look ahead (without opening) for one more listed item to answer ``more``;
        open the page's items in one batch."""
        picked, more, last = self._pick(person, agreement_id, query)
        entries = self._opened(person, picked, manifest)
        return self._page(entries, query, more=more, next=last if more else None)

    def _pick(
        self, person: Person, agreement_id: str, query: ObjectQuery
    ) -> tuple[list[tuple[ItemRecord, str, Label]], bool, str]:
        """The listed items of one page with their current labels, whether more follow,
        and the cursor after the page."""
        picked: list[tuple[ItemRecord, str, Label]] = []
        refers: set[str] = set()  # the markings and parties the picked items refer to
        last, scanned, cursor = query.after_item, 0, query.after_item
        sees = Queries(self.ctx).sees_items(viewer=person)
        with self.ctx.store.read() as uow:
            while True:
                batch = uow.items(state=ItemState.HELD, after=cursor, limit=_SCAN)
                for record in batch:
                    listed = self._listed(sees, record, agreement_id, query)
                    if listed and picked and _budget(len(picked), refers, query) >= query.limit:
                        return picked, True, last
                    if listed:
                        current = uow.labels(record.id)[-1]
                        label = Label.from_bytes(current.label)
                        picked.append((record, current.digest, label))
                        refers |= {Marking.of(label, holder=self.ctx.party).id, label.originator}
                    last, scanned = record.id, scanned + 1
                    if scanned >= _SCAN_LIMIT:
                        return picked, True, last
                if len(batch) < _SCAN:
                    return picked, False, last
                cursor = batch[-1].id

    def _page(
        self, entries: list[Entry], query: ObjectQuery, *, more: bool, next: str | None
    ) -> Page:
        """``entries`` (``match[version]`` applied) after the definitions they refer to."""
        kept = _latest(entries, query)
        definitions = _definitions(kept, query, self.ctx.party)
        return Page(entries=[*definitions, *kept], more=more, next=next)

    def _opened(
        self, person: Person, picked: list[tuple[ItemRecord, str, Label]], manifest: bool
    ) -> list[Entry]:
        """The entries of the picked items: from what was opened before (manifest only, and
        only where the rules would let ``person`` open it now: an entry describes the
        content), else opened now as ``person`` in one batch (each decided and recorded);
        refused ones left out."""
        with self._lock:
            known = {
                r.id: self._known[r.id] for r, _, _ in picked if manifest and r.id in self._known
            }
        queries = Queries(self.ctx)
        known = {
            r.id: known[r.id]
            for r, _, _ in picked
            if r.id in known and queries.may_open(viewer=person, record=r)
        }
        fresh = [p for p in picked if p[0].id not in known]
        contents = (
            self._custody.open_batch(item_ids=[r.id for r, _, _ in fresh], person_id=person.id)
            if fresh
            else []
        )
        opened = {
            r.id: self._entry(r, digest, label, content)
            for (r, digest, label), content in zip(fresh, contents, strict=True)
            if content is not None
        }
        return [e for r, _, _ in picked if (e := known.get(r.id) or opened.get(r.id))]

    def _entry(self, record: ItemRecord, digest: str, label: Label, content: bytes) -> Entry:
        marking = Marking.of(label, holder=self.ctx.party)
        obj = item_object(
            item_id=record.id, label=label, label_digest=digest, content=content, marking=marking
        )
        entry = Entry(obj=obj, date_added=record.recorded_at, marking=marking)
        described: dict[str, Any] = {k: obj[k] for k in ("id", "type", "spec_version") if k in obj}
        described["modified"] = entry.version
        with self._lock:
            self._known[record.id] = Entry(
                obj=described, date_added=record.recorded_at, marking=marking
            )
            while len(self._known) > _KNOWN:
                self._known.popitem(last=False)
        return entry

    # Warnings ----------------------------------------------------------------------------

    def _warnings(self, person: Person, query: ObjectQuery) -> Page:
        """The warnings the person may read, ``match[version]`` applied over every version
        held, a page after the cursor (the board's sequence number)."""
        after = int(query.after_item, 16) if query.after_item else 0
        opened: dict[str, bool] = {}
        chosen: list[tuple[int, Entry]] = []
        for version in self._board.versions():
            if query.added_after is not None and _ms(version.added_at) <= query.added_after:
                continue
            if self._may_read_warning(person, version, opened):
                entry = _warning_entry(version, self.ctx.party)
                if query.wants(entry.obj):
                    chosen.append((version.seq, entry))
        kept = {id(e) for e in _latest([e for _, e in chosen], query)}
        rest = [(seq, e) for seq, e in chosen if seq > after and id(e) in kept]
        page: list[tuple[int, Entry]] = []
        for seq, entry in rest:
            if page and _page_size([e for _, e in page], query) >= query.limit:
                break
            page.append((seq, entry))
        more = len(rest) > len(page)
        entries = [e for _, e in page]
        return Page(
            entries=[*_definitions(entries, query, self.ctx.party), *entries],
            more=more,
            next=f"{page[-1][0]:032x}" if more else None,
        )

    def _may_read_warning(
        self, person: Person, version: HeldWarning, opened: dict[str, bool]
    ) -> bool:
        """Seen, and, for a partner's stream, its announcement opened (once per request)."""
        label = version.label
        marking = Marking.of(label, holder=self.ctx.party)
        if not Queries(self.ctx).sees_label(
            viewer=person, label=label, holder_level=marking.holder_level
        ):
            return False
        if label.originator == self.ctx.party:
            return True
        if label.item_id not in opened:
            try:
                self._custody.open(item_id=label.item_id, person_id=person.id)
                opened[label.item_id] = True
            except (PolicyDenied, UnknownName) as exc:
                _logger.info("TAXII: %s may not read stream %s: %s", person.id, label.item_id, exc)
                opened[label.item_id] = False
        return opened[label.item_id]

    # Ingest ------------------------------------------------------------------------------

    def add(self, person: Person, collection_id: str, envelope: Any) -> Status:
        """Provide an envelope's objects as items under the collection's agreement.

        Raises :class:`InputError` (nothing provided) when the envelope cannot be mapped
        whole, :class:`PolicyDenied` (recorded) when the rules refuse the provision.
        """
        collection = self.collection(person, collection_id)
        if collection.agreement_id is None:
            raise InputError("the warnings collection takes no objects: post to an agreement's")
        now = self.ctx.clock.now()
        plan = plan_ingest(envelope, party=self.ctx.party, agreement_id=collection.agreement_id)
        result = self._custody.provide(
            contents=list(plan.contents),
            provision=Provision(
                recipient=plan.recipient,
                level=plan.marking.level,
                topic=plan.marking.topic,
                purpose=plan.purpose,
                agreement_id=collection.agreement_id,
            ),
            by=person.id,
        )
        versions = tuple((s, _version_of(envelope, s, now)) for s in plan.stix_ids)
        status = Status(
            id=_uuid(f"status:{result.item_ids[0]}"),
            person=person.id,
            requested_at=now,
            successes=versions,
            items=result.item_ids,
        )
        with self._lock:
            self._statuses[status.id] = status
            while len(self._statuses) > _STATUSES:
                self._statuses.popitem(last=False)
        return status

    def status(self, person: Person, status_id: str) -> Status:
        """The status of an envelope ``person`` posted; raises :class:`UnknownName`."""
        with self._lock:
            status = self._statuses.get(status_id)
        if status is None or status.person != person.id:
            raise UnknownName(kind="status", name=status_id, known=())
        return status


def _ms(at: datetime) -> datetime:
    """``at`` cut to the millisecond, the precision of the TAXII timestamps it is shown in,
    so that ``added_after`` set to a date shown excludes what was shown with it."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def _version_of(envelope: Any, stix: str, now: datetime) -> str:
    for obj in envelope.get("objects", []):
        if obj.get("id") == stix:
            return object_version(obj, date_added=timestamp(now))
    raise InputError(f"{stix} is not in the envelope")


def _warning_entry(version: HeldWarning, party: str) -> Entry:
    marking = Marking.of(version.label, holder=party)
    obj = warning_object(version.warning, epoch=version.epoch, marking=marking)
    return Entry(obj=obj, date_added=version.added_at, marking=marking)


def _parties(entries: list[Entry], party: str) -> set[str]:
    out = {party}
    for entry in entries:
        if entry.marking is not None:
            out.update((entry.marking.originator, entry.marking.holder))
    return out


def _budget(count: int, refers: set[str], query: ObjectQuery) -> int:
    """How many objects ``count`` items make with the definitions they need: the markings
    and originators' identities they refer to (``refers``), this party's identity, gsomia's
    and the three extension definitions."""
    return count if query.ids or query.types else count + len(refers) + 5


def _page_size(entries: list[Entry], query: ObjectQuery) -> int:
    """How many objects ``entries`` make with the definitions they need."""
    if query.ids or query.types:
        return len(entries)
    markings = {e.marking.id for e in entries if e.marking is not None}
    return len(entries) + len(markings) + 4 + len(_parties(entries, ""))


def _definitions(entries: list[Entry], query: ObjectQuery, party: str) -> list[Entry]:
    """The identities, extension definitions and marking definitions ``entries`` refer
    to, dated as the first entry, so that a consumer of any page can resolve them."""
    if not entries:
        return []
    markings = {e.marking.id: e.marking for e in entries if e.marking is not None}
    objects = [
        *common_objects(tuple(_parties(entries, party))),
        *(m.to_stix() for m in markings.values()),
    ]
    added = entries[0].date_added
    return [Entry(obj=o, date_added=added) for o in objects if query.wants(o)]


def _latest(entries: list[Entry], query: ObjectQuery) -> list[Entry]:
    """Apply ``match[version]`` to the versions of each object among ``entries``."""
    if "all" in query.versions:
        return entries
    by_id: dict[str, list[str]] = {}
    for entry in entries:
        by_id.setdefault(entry.obj["id"], []).append(entry.version)
    keep = {k: query.pick_versions(v) for k, v in by_id.items()}
    return [e for e in entries if e.version in keep[e.obj["id"]]]

"""TAXII 2.1 query parameters, cursors and envelopes, and the plan of a STIX ingest.

The HTTP side is :mod:`gsomia.api.taxii`; the queries run in :mod:`gsomia.services.taxii`.
Here are the pure parts: reading ``limit``, ``next``, ``added_after`` and the ``match[...]``
filters (OASIS TAXII 2.1 §3.4), and turning a posted envelope into what one provision of
items needs, refusing the whole envelope with the reason when anything cannot be mapped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gsomia.errors import InputError
from gsomia.interop.stix import (
    ITEM_EXTENSION,
    MARKING_EXTENSION,
    WARNING_EXTENSION,
    WARNING_TYPE,
    Marking,
    common_objects,
    is_stix_id,
)

__all__ = [
    "MAX_PAGE",
    "TAXII_MEDIA_TYPE",
    "IngestPlan",
    "ObjectQuery",
    "parse_timestamp",
    "plan_ingest",
]

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
#: The most objects one page holds; a larger ``limit`` is lowered to it (TAXII 2.1 §3.4.2).
MAX_PAGE = 1000
#: The most objects one posted envelope may hold.
MAX_INGEST = 1000
_CURSOR = re.compile(r"^[0-9a-f]{32}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
_REFUSED_TYPES = frozenset({"bundle", "marking-definition", "language-content"})


def parse_timestamp(text: str, *, what: str) -> datetime:
    """A STIX/TAXII timestamp (``...Z``); raises :class:`InputError` naming ``what``."""
    if not _TIMESTAMP.fullmatch(text):
        raise InputError(f"{what}: {text!r} is not a timestamp like 2019-10-02T09:00:00.000Z")
    head, _, frac = text[:-1].partition(".")
    base = datetime.strptime(head, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    return base.replace(microsecond=int((frac or "0")[:6].ljust(6, "0")))


def _split(value: str | None) -> frozenset[str]:
    return frozenset(v.strip() for v in (value or "").split(",") if v.strip())


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectQuery:
    """The filters and page of a TAXII objects, manifest or versions request (§3.4)."""

    limit: int = 100
    after_item: str = ""
    added_after: datetime | None = None
    ids: frozenset[str] = field(default_factory=frozenset)
    types: frozenset[str] = field(default_factory=frozenset)
    versions: frozenset[str] = field(default_factory=lambda: frozenset({"last"}))
    spec_versions: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def parse(cls, params: Mapping[str, str], *, default_versions: str = "last") -> ObjectQuery:
        """Read the query string; raises :class:`InputError` naming the bad parameter."""
        known = {
            "limit", "next", "added_after",
            "match[id]", "match[type]", "match[version]", "match[spec_version]",
        }  # fmt: skip
        unknown = sorted(set(params) - known)
        if unknown:
            raise InputError(f"unsupported query parameter {unknown[0]!r}")
        limit = params.get("limit", "100")
        if not limit.isdigit() or int(limit) < 1:
            raise InputError(f"limit: {limit!r} is not a positive integer")
        cursor = params.get("next", "")
        if cursor and not _CURSOR.fullmatch(cursor):
            raise InputError(f"next: {cursor!r} is not a cursor this server gave")
        after = params.get("added_after")
        ids, types = _split(params.get("match[id]")), _split(params.get("match[type]"))
        for stix in ids:
            if not is_stix_id(stix):
                raise InputError(f"match[id]: {stix!r} is not a STIX identifier")
        versions = _split(params.get("match[version]", default_versions))
        for version in versions - {"all", "first", "last"}:
            parse_timestamp(version, what="match[version]")
        return cls(
            limit=min(int(limit), MAX_PAGE),
            after_item=cursor,
            added_after=parse_timestamp(after, what="added_after") if after else None,
            ids=ids,
            types=types,
            versions=versions,
            spec_versions=_split(params.get("match[spec_version]")),
        )

    def wants(self, obj: Mapping[str, Any]) -> bool:
        """Whether ``obj`` passes the id, type and spec_version filters."""
        if self.ids and obj.get("id") not in self.ids:
            return False
        if self.types and obj.get("type") not in self.types:
            return False
        return not self.spec_versions or obj.get("spec_version", "2.1") in self.spec_versions

    def pick_versions(self, versions: list[str]) -> set[str]:
        """Of one object's versions (any order), those ``match[version]`` selects."""
        if not versions or "all" in self.versions:
            return set(versions)
        ordered = sorted(versions)
        out = {v for v in ordered if v in self.versions}
        if "first" in self.versions:
            out.add(ordered[0])
        if "last" in self.versions:
            out.add(ordered[-1])
        return out


# Ingest ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestPlan:
    """One provision: the marking every object carries, the purpose, and each object's
    content (its canonical JSON without markings), in the envelope's order."""

    marking: Marking
    purpose: str
    stix_ids: tuple[str, ...]
    contents: tuple[bytes, ...]

    @property
    def recipient(self) -> str:
        """The one party the items are released to."""
        others = [p for p in self.marking.releasable_to if p != self.marking.originator]
        return others[0]


def _refs(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every ``(property path, id)`` held by a ``*_ref`` or ``*_refs`` property, nested too."""
    if isinstance(value, dict):
        for key, inner in value.items():
            where = f"{path}.{key}" if path else str(key)
            if key.endswith("_ref") and isinstance(inner, str):
                yield where, inner
            elif key.endswith("_refs") and isinstance(inner, list):
                yield from ((where, str(ref)) for ref in inner)
            else:
                yield from _refs(inner, where)
    elif isinstance(value, list):
        for inner in value:
            yield from _refs(inner, path)


def _objects(envelope: Any) -> list[dict[str, Any]]:
    if not isinstance(envelope, dict) or not isinstance(envelope.get("objects"), list):
        raise InputError("the body must be a TAXII envelope or STIX bundle with 'objects'")
    objects: list[Any] = envelope["objects"]
    if not 0 < len(objects) <= MAX_INGEST:
        raise InputError(f"an envelope holds 1 to {MAX_INGEST} objects, not {len(objects)}")
    for i, obj in enumerate(objects):
        if not isinstance(obj, dict) or not is_stix_id(obj.get("id"), obj.get("type")):
            raise InputError(f"objects[{i}]: not a STIX object with a valid type and id")
    return [dict(obj) for obj in objects]


def _the_marking(objects: list[dict[str, Any]], *, party: str, agreement_id: str) -> Marking:
    markings = [o for o in objects if o["type"] == "marking-definition"]
    found = [Marking.from_stix(m) for m in markings if MARKING_EXTENSION in m.get("extensions", {})]
    if len(found) != 1 or len(markings) != 1:
        raise InputError(
            "the envelope must hold exactly one marking definition, a gsomia marking "
            f"(it holds {len(markings)} marking definitions, {len(found)} gsomia markings)"
        )
    marking = found[0]
    if marking.agreement_id != agreement_id:
        raise InputError(f"the marking is under {marking.agreement_id}, not this collection's")
    if marking.originator != party or marking.holder != party:
        raise InputError(f"only {party}'s own items can be provided here (originator and holder)")
    if marking.holder_level != marking.level:
        raise InputError("the originator's holder_level must be its level")
    if len([p for p in marking.releasable_to if p != party]) != 1:
        raise InputError("releasable_to must name this party and exactly one recipient")
    return marking


def _check_object(obj: dict[str, Any], i: int, marking_id: str, known: set[str]) -> None:
    where = f"objects[{i}] ({obj['id']})"
    if obj["type"] in _REFUSED_TYPES or obj["type"] == WARNING_TYPE:
        raise InputError(f"{where}: a {obj['type']} cannot be provided as an item")
    if obj.get("spec_version", "2.1") != "2.1":
        raise InputError(f"{where}: only STIX 2.1 objects are accepted")
    if obj.get("object_marking_refs") != [marking_id] or "granular_markings" in obj:
        raise InputError(f"{where}: must be marked with the gsomia marking only")
    extensions = obj.get("extensions", {})
    if not isinstance(extensions, dict) or WARNING_EXTENSION in extensions:
        raise InputError(f"{where}: extensions must be a dictionary, without the warning SDO")
    for path, ref in _refs({k: v for k, v in obj.items() if k != "object_marking_refs"}):
        if ref not in known:
            raise InputError(f"{where}: {path} refers to {ref}, which the envelope does not hold")


def plan_ingest(envelope: Any, *, party: str, agreement_id: str) -> IngestPlan:
    """What providing ``envelope``'s objects as items needs; raises :class:`InputError` with
    the first reason the envelope cannot be mapped whole (nothing is then provided)."""
    objects = _objects(envelope)
    marking = _the_marking(objects, party=party, agreement_id=agreement_id)
    common = {o["id"] for o in common_objects(marking.releasable_to)}
    items = [o for o in objects if o["type"] != "marking-definition" and o["id"] not in common]
    if not items:
        raise InputError("the envelope holds no object to provide")
    known = common | {o["id"] for o in objects}
    purposes = set()
    contents = []
    for i, obj in enumerate(items):
        _check_object(obj, i, marking.id, known)
        body = {k: v for k, v in obj.items() if k != "object_marking_refs"}
        ext = dict(body.get("extensions", {}))
        mine = ext.pop(ITEM_EXTENSION, None)
        if isinstance(mine, dict) and isinstance(mine.get("purpose"), str):
            purposes.add(mine["purpose"])
        if ext:
            body["extensions"] = ext
        else:
            body.pop("extensions", None)
        contents.append(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())
    if len(purposes) > 1:
        raise InputError("the objects give different purposes; post one purpose at a time")
    return IngestPlan(
        marking=marking,
        purpose=purposes.pop() if purposes else "STIX objects provided through TAXII",
        stix_ids=tuple(o["id"] for o in items),
        contents=tuple(contents),
    )

"""label-v1 as a NATO ADatP-4774 confidentiality label, and back, without loss.

The label is an ``originatorConfidentialityLabel`` in the namespace
``urn:nato:stanag:4774:confidentialitymetadatalabel:1:0``:

* ``PolicyIdentifier``: the originator's national scheme (``JPN``, URI
  ``urn:gsomia:policy:jpn``), whose levels are the ``Classification`` values;
* ``Classification``: the originator's level code in that scheme (``GOKUHI``);
* ``Category`` ``PERMISSIVE`` "Releasable To": the parties it may be released to;
* ``Category`` ``INFORMATIVE`` for the rest of label-v1: the agreement (``id/version``),
  each holder's equivalent level, the route, topic, purpose, item, content digest,
  revision, the version it supersedes and who re-marked it;
* ``OriginatorID`` (a ``urn:gsomia:party:`` URI), ``CreationDateTime`` and the
  ``ReviewDateTime`` attribute (the review date at 00:00 UTC).

:func:`to_xml` writes it; :func:`from_xml` reads it back into the same :class:`Label`
(``from_xml(to_xml(label)) == label`` for every label), refusing anything else with an
:class:`~gsomia.errors.InputError` that names the element.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

from gsomia.core.labels import Label
from gsomia.errors import InputError

__all__ = ["NAMESPACE", "from_xml", "to_xml"]

NAMESPACE = "urn:nato:stanag:4774:confidentialitymetadatalabel:1:0"
_N = f"{{{NAMESPACE}}}"
_CATEGORY_URI = "urn:gsomia:label:"
_PARTY_URI = "urn:gsomia:party:"
_POLICY_URI = "urn:gsomia:policy:"
_RELEASABLE = "Releasable To"
_UNCARRIED = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]")
#: INFORMATIVE categories: tag name → label-v1 member.
_INFORMATIVE = (
    ("Agreement", "agreement"),
    ("Equivalent Level", "equivalents"),
    ("Route", "route"),
    ("Topic", "topic"),
    ("Purpose", "purpose"),
    ("Item", "item"),
    ("Content Digest", "content_digest"),
    ("Revision", "revision"),
    ("Supersedes", "supersedes"),
    ("Marked By", "marked_by"),
)

ET.register_namespace("slab", NAMESPACE)


def _values(label: Label) -> dict[str, list[str]]:
    return {
        "agreement": [f"{label.agreement_id}/{label.agreement_version}"],
        "equivalents": [ref for _, ref in label.equivalents],
        "route": list(label.route),
        "topic": [label.topic],
        "purpose": [label.purpose],
        "item": [label.item_id],
        "content_digest": [label.content_digest] if label.content_digest else [],
        "revision": [str(label.revision)],
        "supersedes": [label.supersedes] if label.supersedes else [],
        "marked_by": [label.marked_by] if label.marked_by else [],
    }


def _category(parent: ET.Element, kind: str, tag: str, member: str, values: list[str]) -> None:
    element = ET.SubElement(
        parent,
        f"{_N}Category",
        {"Type": kind, "TagName": tag, "URI": _CATEGORY_URI + member.replace("_", "-")},
    )
    for value in values:
        ET.SubElement(element, f"{_N}GenericValue").text = value


def to_xml(label: Label) -> bytes:
    """The ADatP-4774 originator confidentiality label of ``label`` (UTF-8 XML).

    Raises :class:`InputError` when the purpose holds a character XML 1.0 cannot carry
    unchanged (a carriage return or another control character than tab and newline).
    """
    if _UNCARRIED.search(label.purpose):
        raise InputError("the label's purpose holds a control character XML cannot carry")
    scheme, _, level = label.level.partition(":")
    root = ET.Element(
        f"{_N}originatorConfidentialityLabel",
        {"ReviewDateTime": f"{label.review_on.isoformat()}T00:00:00Z"},
    )
    info = ET.SubElement(root, f"{_N}ConfidentialityInformation")
    policy = ET.SubElement(info, f"{_N}PolicyIdentifier", {"URI": _POLICY_URI + scheme.lower()})
    policy.text = scheme
    ET.SubElement(info, f"{_N}Classification").text = level
    _category(info, "PERMISSIVE", _RELEASABLE, "releasable_to", list(label.releasable_to))
    values = _values(label)
    for tag, member in _INFORMATIVE:
        if values[member]:
            _category(info, "INFORMATIVE", tag, member, values[member])
    originator = ET.SubElement(root, f"{_N}OriginatorID", {"IDType": "uniformResourceIdentifier"})
    originator.text = _PARTY_URI + label.originator
    created = label.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    ET.SubElement(root, f"{_N}CreationDateTime").text = created
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def _one(parent: ET.Element, name: str) -> ET.Element:
    found = parent.findall(f"{_N}{name}")
    if len(found) != 1:
        raise InputError(f"4774 label: expected one {name}, found {len(found)}")
    return found[0]


def _categories(info: ET.Element) -> dict[str, list[str]]:
    tags = {tag: member for tag, member in _INFORMATIVE}
    tags[_RELEASABLE] = "releasable_to"
    out: dict[str, list[str]] = {}
    for element in info.findall(f"{_N}Category"):
        member = tags.get(element.get("TagName", ""))
        kind = "PERMISSIVE" if member == "releasable_to" else "INFORMATIVE"
        if member is None or element.get("Type") != kind or member in out:
            raise InputError(f"4774 label: unexpected category {element.get('TagName')!r}")
        out[member] = [v.text or "" for v in element.findall(f"{_N}GenericValue")]
    return out


def _single(values: dict[str, list[str]], member: str) -> str | None:
    got = values.get(member, [])
    if len(got) > 1:
        raise InputError(f"4774 label: category for {member} holds {len(got)} values")
    return got[0] if got else None


def _required(values: dict[str, list[str]], member: str) -> str:
    value = _single(values, member)
    if value is None:
        raise InputError(f"4774 label: the category for {member} is missing")
    return value


def _parse_root(data: bytes) -> ET.Element:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise InputError("4774 label: document type declarations are not accepted")
    try:
        root = ET.fromstring(data)  # noqa: S314 - a document with a DTD was refused above
    except ET.ParseError as exc:
        raise InputError(f"4774 label is not well-formed XML: {exc}") from None
    if root.tag != f"{_N}originatorConfidentialityLabel":
        raise InputError(f"4774 label: the root is {root.tag}, not originatorConfidentialityLabel")
    return root


def _times(root: ET.Element) -> tuple[datetime, date]:
    review = root.get("ReviewDateTime", "")
    created = _one(root, "CreationDateTime").text or ""
    try:
        at = datetime.strptime(created, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        day = datetime.strptime(review, "%Y-%m-%dT00:00:00Z").date()
    except ValueError:
        raise InputError("4774 label: CreationDateTime or ReviewDateTime is malformed") from None
    return at, day


def from_xml(data: bytes) -> Label:
    """The label (label-v2, or label-v1 when it carries a content digest) a 4774 label
    written by :func:`to_xml` carries.

    Raises :class:`InputError` naming what is missing or malformed; the result is checked
    like any label (:class:`Label` validates every field).
    """
    root = _parse_root(data)
    info = _one(root, "ConfidentialityInformation")
    scheme = _one(info, "PolicyIdentifier").text or ""
    originator = (_one(root, "OriginatorID").text or "").removeprefix(_PARTY_URI)
    values = _categories(info)
    agreement_id, _, version = _required(values, "agreement").partition("/")
    created_at, review_on = _times(root)
    revision = _required(values, "revision")
    if not revision.isdigit():
        raise InputError("4774 label: the revision is not a number")
    return Label(
        item_id=_required(values, "item"),
        agreement_id=agreement_id,
        agreement_version=version,
        originator=originator,
        level=f"{scheme}:{_one(info, 'Classification').text or ''}",
        equivalents=tuple((ref.partition(":")[0], ref) for ref in values.get("equivalents", [])),
        releasable_to=tuple(values.get("releasable_to", [])),
        route=tuple(values.get("route", [])),
        topic=_required(values, "topic"),
        purpose=_required(values, "purpose"),
        created_at=created_at,
        review_on=review_on,
        content_digest=_single(values, "content_digest"),
        revision=int(revision),
        supersedes=_single(values, "supersedes"),
        marked_by=_single(values, "marked_by"),
    )

"""The fast paths of :mod:`gsomia.core.labels`: what a node does tens of thousands of times
a second, fenced off from the normative definition.

* parsing canonical label bytes with one anchored pattern, and a label that differs from
  one already parsed only in its item id, creation time (and label-v1 digest) by checking
  just those values (a bounded template cache);
* batches spliced into a validated template's bytes (:mod:`gsomia.core.canonical`);
* labels built from validated values through slot setters, without ``__init__``.

Each gives exactly what the plain definition in :mod:`gsomia.core.labels` gives, or
``None`` to send the input down the plain path; they are registered there
(:func:`~gsomia.core.labels.register_fast_paths`) when :mod:`gsomia.core` is imported.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import date, datetime

from gsomia.core.canonical import ascii_column, column_matches, cut_around, splice
from gsomia.core.labels import (
    _DIGEST,
    _ITEM,
    _MAX_PURPOSE,
    _MAX_REVISION,
    Label,
    _match,
    _ordered_levels,
    _utc_text,
    register_fast_paths,
)
from gsomia.core.unchecked import builder
from gsomia.errors import InputError

__all__: list[str] = []


# Canonical label bytes have one fixed shape: members in code-point order, no whitespace,
# values from closed patterns. One anchored match over that shape parses a label several
# times faster than decoding JSON and re-validating every field, which matters to a node that
# opens tens of thousands of items a second. Anything the pattern or the checks after it do
# not accept goes to the general path, which either parses it or names the problem; tests
# check that both paths agree on random and mutated labels.
_TOK = r"[a-z0-9][a-z0-9._-]{0,63}"
_REF = r"[A-Z]{3}:[A-Z][A-Z0-9_]{0,39}"
_CODES = r'(?:"[A-Z]{3}"(?:,"[A-Z]{3}")*)?'
_PAIRS = r'(?:"[A-Z]{3}":"' + _REF + r'"(?:,"[A-Z]{3}":"' + _REF + r'")*)?'
_JSON_TEXT = r'[^"\\\x00-\x1f]*(?:\\(?:["\\bfnrt]|u00[01][0-9a-f])[^"\\\x00-\x1f]*)*'
_CANONICAL = re.compile(
    r'\{"agreement":\{"id":"(' + _TOK + r')","version":"(' + _TOK + r')"\},'
    r'(?:"content_digest":"(sha256:[0-9a-f]{64})",)?'
    r'"created_at":"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6})Z",'
    r'"equivalents":\{(' + _PAIRS + r")\},"
    r'"format":"gsomia/label-v([12])",'
    r'"item":"([0-9a-f]{32})",'
    r'"level":"(' + _REF + r')",'
    r'"marked_by":(?:null|"([A-Z]{3})"),'
    r'"originator":"([A-Z]{3})",'
    r'"purpose":"(' + _JSON_TEXT + r')",'
    r'"releasable_to":\[(' + _CODES + r")\],"
    r'"review_on":"([0-9]{4}-[0-9]{2}-[0-9]{2})",'
    r'"revision":([1-9][0-9]{0,15}),'
    r'"route":\[(' + _CODES + r")\],"
    r'"supersedes":(?:null|"(sha256:[0-9a-f]{64})"),'
    r'"topic":"(' + _TOK + r')"\}'
)
_PAIR = re.compile(r'"([A-Z]{3})":"(' + _REF + r')"')
_CODE = re.compile(r'"([A-Z]{3})"')
_ESCAPER = json.JSONEncoder(ensure_ascii=False)


def _parse_canonical_fast(data: bytes) -> Label | None:
    shape = _shape_of(data)
    if shape is not None:
        template = _templates.get(shape[0])
        if template is not None:
            return _from_template(data, template, shape[1:])
    label = _parse_by_pattern(data)
    if label is not None and shape is not None:
        if len(_templates) >= _TEMPLATE_LIMIT:
            _templates.clear()
        _templates[shape[0]] = label
    return label


# Labels of one sender differ from item to item mostly in the item id and the creation time
# (and, in label-v1, the content digest). A label whose bytes, with those values cut out,
# equal those of a label already parsed and validated is that label with different values,
# so only those values need checking: each is checked against its exact canonical pattern,
# and no other field's validity depends on them. The cache is keyed by the remaining bytes
# and the positions (-1 for a label-v2's absent digest), and bounded.
_TEMPLATE_LIMIT = 512
_templates: dict[tuple[bytes, int, int, int], Label] = {}
_DIGEST_AT = b'"content_digest":"sha256:'
_CREATED_AT = b'"created_at":"'
_ITEM_AT = b'"item":"'
_HEX64 = re.compile(rb"[0-9a-f]{64}")
_HEX32 = re.compile(rb"[0-9a-f]{32}")
_TIME26 = re.compile(rb"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}")


def _shape_of(data: bytes) -> tuple[tuple[bytes, int, int, int], int, int, int] | None:
    digest_at = data.find(_DIGEST_AT)
    created_at = data.find(_CREATED_AT, max(digest_at, 0))
    item_at = data.find(_ITEM_AT, created_at)
    if min(created_at, item_at) < 0:
        return None
    c, i = created_at + len(_CREATED_AT), item_at + len(_ITEM_AT)
    if digest_at < 0:
        rest = data[:c] + data[c + 26 : i] + data[i + 32 :]
        return (rest, -1, c, i), -1, c, i
    d = digest_at + len(_DIGEST_AT)
    rest = data[:d] + data[d + 64 : c] + data[c + 26 : i] + data[i + 32 :]
    return (rest, d, c, i), d, c, i


def _from_template(data: bytes, template: Label, at: tuple[int, int, int]) -> Label | None:
    d, c, i = at
    created, item = data[c : c + 26], data[i : i + 32]
    digest = data[d : d + 64] if d >= 0 else None
    if digest is not None and not _HEX64.fullmatch(digest):
        return None
    if not (_HEX32.fullmatch(item) and _TIME26.fullmatch(created)):
        return None
    try:
        created_at = datetime.fromisoformat(created.decode("ascii") + "+00:00")
    except ValueError:
        return None
    return _assemble(
        template,
        data,
        item_id=item.decode("ascii"),
        content_digest=None if digest is None else "sha256:" + digest.decode("ascii"),
        created_at=created_at,
        supersedes=template.supersedes,
    )


def _parse_by_pattern(data: bytes) -> Label | None:
    try:
        match = _CANONICAL.fullmatch(data.decode("utf-8"))
    except UnicodeDecodeError:
        return None
    if match is None:
        return None
    (aid, aver, cdig, created, eqs, version, item, level, marked, orig, *rest) = match.groups()
    (purpose, rel, review, revision, route, sup, topic) = rest
    equivalents = tuple(_PAIR.findall(eqs)) if eqs else ()
    releasable = tuple(_CODE.findall(rel)) if rel else ()
    if "\\" in purpose:
        text = json.loads('"' + purpose + '"')
        if _ESCAPER.encode(text) != '"' + purpose + '"':
            return None
        purpose = text
    number = int(revision)
    if (
        (version == "1") != (cdig is not None)
        or not level.startswith(orig + ":")
        or not _ordered_levels(equivalents)
        or (len(releasable) > 1 and list(releasable) != sorted(set(releasable)))
        or not purpose.strip()
        or len(purpose) > _MAX_PURPOSE
        or number > _MAX_REVISION
        or (number == 1) != (sup is None)
    ):
        return None
    try:
        created_at = datetime.fromisoformat(created + "+00:00")
        review_on = date.fromisoformat(review)
    except ValueError:
        return None
    label = _new(Label)
    _set_item(label, item)
    _set_agreement_id(label, aid)
    _set_agreement_version(label, aver)
    _set_originator(label, orig)
    _set_level(label, level)
    _set_equivalents(label, equivalents)
    _set_releasable_to(label, releasable)
    _set_topic(label, topic)
    _set_purpose(label, purpose)
    _set_created_at(label, created_at)
    _set_review_on(label, review_on)
    _set_content_digest(label, cdig)
    _set_route(label, tuple(_CODE.findall(route)) if route else ())
    _set_revision(label, number)
    _set_supersedes(label, sup)
    _set_marked_by(label, marked)
    _set_canonical(label, data)
    _set_digest(label, hashlib.sha256(data).digest())
    return label


# Batches. Canonical bytes are the members in one fixed order, so a label that differs from a
# validated one only in some string values whose syntax is closed (ids, digests, times) is
# that label's bytes with those values spliced in. Each spliced value is either checked
# against its exact pattern or taken from a label that was itself validated.
_SPLICED = ("created_at", "item", "supersedes")
_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def _splicer(template: Label, varying: tuple[str, ...]) -> list[bytes]:
    """The template's canonical bytes cut around the values of ``varying`` (sorted names of
    members whose values are strings), checked to join back into exactly those bytes."""
    members = template.to_dict()
    cut = cut_around(members, [(key,) for key in varying], encode=_ENCODE)
    own = [[str(members[key]).encode("ascii")] for key in varying]
    if splice(cut, own) != [template.canonical_bytes()]:
        raise InputError("label: the template's bytes cannot be spliced")
    return cut


def _batch(template: Label, item_ids: Sequence[str], digests: Sequence[str] | None) -> list[Label]:
    if (digests is None) != (template.content_digest is None):
        raise InputError(
            "label batch: content digests go with a label-v1 template only, and it needs them"
        )
    if not column_matches(_ITEMS, item_ids):
        for item_id in item_ids:
            _match(_ITEM, item_id, "item_id", "32 lower-case hex digits")
    if digests is None:
        return _batch_v2(template, item_ids)
    if len(item_ids) != len(digests):
        raise InputError("label batch: one content digest per item id is needed")
    if not column_matches(_DIGESTS, digests):
        for digest in digests:
            _match(_DIGEST, digest, "content_digest", "sha256:<64 hex digits>")
    cut = _splicer(template, ("content_digest", "item"))
    datas = splice(cut, [ascii_column(digests), ascii_column(item_ids)])
    created, supersedes = template.created_at, template.supersedes
    return [
        _assemble(
            template,
            data,
            item_id=item_id,
            content_digest=digest,
            created_at=created,
            supersedes=supersedes,
        )
        for item_id, digest, data in zip(item_ids, digests, datas, strict=True)
    ]


def _batch_v2(template: Label, item_ids: Sequence[str]) -> list[Label]:
    # One pass: the cut joined with each id as the label is assembled (``splice`` would
    # build the list of bytes first).
    s0, s1 = _splicer(template, ("item",))
    created, supersedes = template.created_at, template.supersedes
    return [
        _assemble(
            template,
            b"".join((s0, item_id.encode("ascii"), s1)),
            item_id=item_id,
            content_digest=None,
            created_at=created,
            supersedes=supersedes,
        )
        for item_id in item_ids
    ]


# Whole columns are checked with one match over their values, one per line: no pattern's
# unit matches a newline, so the column matches exactly when there are as many lines as
# values and each line matches. On a mismatch each value is checked, to name the bad one.
_ITEMS = re.compile(r"(?:[0-9a-f]{32}\n)*")
_DIGESTS = re.compile(r"(?:sha256:[0-9a-f]{64}\n)*")


def _remark_batch(labels: Sequence[Label], by: str) -> list[Label]:
    out: list[Label] = []
    splicers: dict[tuple[object, ...], tuple[Label, list[bytes]]] = {}
    times: dict[datetime, bytes] = {}
    for label in labels:
        shape = (
            label.agreement_id,
            label.agreement_version,
            label.originator,
            label.level,
            label.equivalents,
            label.releasable_to,
            label.route,
            label.topic,
            label.purpose,
            label.review_on,
            label.revision,
        )
        known = splicers.get(shape)
        if known is None:
            first = label.remark(by=by)
            splicers[shape] = (first, _splicer(first, _SPLICED))
            out.append(first)
            continue
        # One label at a time (each has its own time and digest), so the cut is joined
        # here rather than by ``splice``, which joins whole columns.
        template, (s0, s1, s2, s3) = known
        created = times.get(label.created_at)
        if created is None:
            created = times[label.created_at] = _utc_text(label.created_at).encode("ascii")
        supersedes = label.digest()
        data = b"".join(
            (
                s0,
                created,
                s1,
                label.item_id.encode("ascii"),
                s2,
                supersedes.encode("ascii"),
                s3,
            )
        )
        out.append(
            _assemble(
                template,
                data,
                item_id=label.item_id,
                content_digest=None,
                created_at=label.created_at,
                supersedes=supersedes,
            )
        )
    return out


def _assemble(
    template: Label,
    data: bytes,
    *,
    item_id: str,
    content_digest: str | None,
    created_at: datetime,
    supersedes: str | None,
) -> Label:
    """A label with the template's other fields, given these values and their bytes."""
    t = template
    return _build_label(
        item_id=item_id,
        agreement_id=t.agreement_id,
        agreement_version=t.agreement_version,
        originator=t.originator,
        level=t.level,
        equivalents=t.equivalents,
        releasable_to=t.releasable_to,
        topic=t.topic,
        purpose=t.purpose,
        created_at=created_at,
        review_on=t.review_on,
        content_digest=content_digest,
        route=t.route,
        revision=t.revision,
        supersedes=supersedes,
        marked_by=t.marked_by,
        _canonical=data,
        _digest=hashlib.sha256(data).digest(),
    )


# Slot setters, for building a label from already-validated values without ``__init__``.
_new = object.__new__
_SETTERS = {name: Label.__dict__[name].__set__ for name in Label.__slots__}
_set_item = _SETTERS["item_id"]
_set_agreement_id = _SETTERS["agreement_id"]
_set_agreement_version = _SETTERS["agreement_version"]
_set_originator = _SETTERS["originator"]
_set_level = _SETTERS["level"]
_set_equivalents = _SETTERS["equivalents"]
_set_releasable_to = _SETTERS["releasable_to"]
_set_topic = _SETTERS["topic"]
_set_purpose = _SETTERS["purpose"]
_set_created_at = _SETTERS["created_at"]
_set_review_on = _SETTERS["review_on"]
_set_content_digest = _SETTERS["content_digest"]
_set_route = _SETTERS["route"]
_set_revision = _SETTERS["revision"]
_set_supersedes = _SETTERS["supersedes"]
_set_marked_by = _SETTERS["marked_by"]
_set_canonical = _SETTERS["_canonical"]
_set_digest = _SETTERS["_digest"]
_build_label = builder(Label)


register_fast_paths(parse=_parse_canonical_fast, batch=_batch, remark_batch=_remark_batch)

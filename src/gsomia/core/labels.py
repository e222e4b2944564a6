"""The confidentiality label (label-v2, and label-v1 as read), in the spirit of STANAG 4774.

A label says, for one item: under which agreement it was provided, by whom, at what level
of the originator's scheme, what each holder's equivalent level is, to whom it may be
released, its topic and purpose, and when it was made and is due for review. Its canonical
bytes (RFC 8785, :mod:`gsomia.core.canonical`) are what the binding signs and what the
envelope authenticates as associated data.

label-v1 also carried ``content_digest``, an unsalted SHA-256 of the plaintext, in clear:
anyone who saw a label could test guesses of the content and see when two contents were
equal. label-v2 carries nothing derived from the content; the envelope and the binding
commit to the item's data key instead (envelope-v2, binding-v2). label-v1 labels are still
read (items kept under them open), and every new label, a re-marking included, is label-v2.

A re-marking (JK-4.2 on receipt, JK-6.g on reclassification) is a **new** label with
``revision`` one higher and ``supersedes`` set to the digest of the label it replaces;
labels are never edited in place. The normative byte layout is ``docs/formats/label-v1.md``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from gsomia.errors import InputError

__all__ = ["LABEL_FORMAT", "LABEL_FORMAT_V1", "Label", "content_digest", "register_fast_paths"]

#: The format of every label made now.
LABEL_FORMAT = "gsomia/label-v2"
#: The earlier format, read but no longer made: it carried a plaintext digest.
LABEL_FORMAT_V1 = "gsomia/label-v1"

_PARTY = re.compile(r"^[A-Z]{3}$")
_LEVEL_REF = re.compile(r"^[A-Z]{3}:[A-Z][A-Z0-9_]{0,39}$")
_TOKEN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_ITEM = re.compile(r"^[0-9a-f]{32}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_TIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$")
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_MAX_REVISION = 2**53 - 1
_MAX_PURPOSE = 512
_MEMBERS = frozenset(
    {
        "format",
        "item",
        "agreement",
        "originator",
        "level",
        "equivalents",
        "releasable_to",
        "route",
        "topic",
        "purpose",
        "created_at",
        "review_on",
        "content_digest",
        "revision",
        "supersedes",
        "marked_by",
    }
)
_MEMBERS_V2 = _MEMBERS - {"content_digest"}


def content_digest(content: bytes) -> str:
    """``sha256:<hex>`` of the plaintext content: what a label-v1 carried (to read and check
    label-v1 items only; no label made now carries it)."""
    return "sha256:" + hashlib.sha256(content).hexdigest()


def _utc_text(at: datetime) -> str:
    if at.tzinfo is None:
        raise InputError("label times must be timezone-aware")
    # ``isoformat`` of a UTC time ends in "+00:00"; label-v1 writes it as "Z".
    return at.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


@dataclass(frozen=True, slots=True, kw_only=True)
class Label:
    """One version of an item's confidentiality label. Immutable; see :meth:`remark`.

    Construction validates every field and raises :class:`InputError` naming the field.
    ``releasable_to`` and ``equivalents`` are kept sorted, so two labels are equal exactly
    when their canonical bytes are. A label with a ``content_digest`` is a label-v1 (read
    from an item kept before label-v2); without one it is a label-v2.
    """

    item_id: str
    agreement_id: str
    agreement_version: str
    originator: str
    level: str
    equivalents: tuple[tuple[str, str], ...]
    releasable_to: tuple[str, ...]
    topic: str
    purpose: str
    created_at: datetime
    review_on: date
    content_digest: str | None = None
    route: tuple[str, ...] = ()
    revision: int = 1
    supersedes: str | None = None
    marked_by: str | None = None
    _canonical: bytes = field(default=b"", init=False, repr=False, compare=False)
    _digest: bytes = field(default=b"", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "equivalents", tuple(sorted(self.equivalents)))
        object.__setattr__(self, "releasable_to", tuple(sorted(self.releasable_to)))
        self._validate()
        # Every member name is ASCII and every value is a validated string, integer, null,
        # list or flat object of strings, so sorting by code point equals RFC 8785's UTF-16
        # order and the C encoder gives the canonical bytes; tests compare it with
        # ``canonical_json`` on random labels.
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        canonical = text.encode("utf-8")
        object.__setattr__(self, "_canonical", canonical)
        object.__setattr__(self, "_digest", hashlib.sha256(canonical).digest())

    def _validate(self) -> None:
        _match(_ITEM, self.item_id, "item_id", "32 lower-case hex digits")
        _match(_TOKEN, self.agreement_id, "agreement_id", "a lower-case identifier")
        _match(_TOKEN, self.agreement_version, "agreement_version", "a lower-case identifier")
        _match(_PARTY, self.originator, "originator", "a three-letter party code")
        _match(_LEVEL_REF, self.level, "level", "a level reference such as JPN:GOKUHI")
        if not self.level.startswith(self.originator + ":"):
            raise InputError("label.level: must be a level of the originator's own scheme")
        self._validate_parties()
        _match(_TOKEN, self.topic, "topic", "a lower-case identifier")
        _check_purpose(self.purpose)
        if self.content_digest is not None:
            _match(_DIGEST, self.content_digest, "content_digest", "sha256:<64 hex digits>")
        _check_revision(self.revision)
        if (self.revision == 1) != (self.supersedes is None):
            raise InputError("label.revision: revision 1 supersedes nothing; later ones must")
        if self.supersedes is not None:
            _match(_DIGEST, self.supersedes, "supersedes", "sha256:<64 hex digits>")
        if self.marked_by is not None:
            _match(_PARTY, self.marked_by, "marked_by", "a three-letter party code")
        _check_times(self.created_at, self.review_on)

    def _validate_parties(self) -> None:
        parties = [p for p, _ in self.equivalents]
        if len(set(parties)) != len(parties):
            raise InputError("label.equivalents: a holder appears twice")
        for party, ref in self.equivalents:
            _match(_PARTY, party, "equivalents", "three-letter party codes")
            _match(_LEVEL_REF, ref, f"equivalents.{party}", "a level reference")
            if not ref.startswith(party + ":"):
                raise InputError(f"label.equivalents.{party}: must be a level of {party}'s scheme")
        if len(set(self.releasable_to)) != len(self.releasable_to):
            raise InputError("label.releasable_to: a party appears twice")
        for party in (*self.releasable_to, *self.route):
            _match(_PARTY, party, "releasable_to/route", "three-letter party codes")

    @property
    def format(self) -> str:
        """``gsomia/label-v2``, or ``gsomia/label-v1`` for a label that carries a digest."""
        return LABEL_FORMAT if self.content_digest is None else LABEL_FORMAT_V1

    def to_dict(self) -> dict[str, Any]:
        """The label as the JSON object whose canonical bytes are signed."""
        out = {
            "format": self.format,
            "item": self.item_id,
            "agreement": {"id": self.agreement_id, "version": self.agreement_version},
            "originator": self.originator,
            "level": self.level,
            "equivalents": dict(self.equivalents),
            "releasable_to": list(self.releasable_to),
            "route": list(self.route),
            "topic": self.topic,
            "purpose": self.purpose,
            "created_at": _utc_text(self.created_at),
            "review_on": self.review_on.isoformat(),
            "content_digest": self.content_digest,
            "revision": self.revision,
            "supersedes": self.supersedes,
            "marked_by": self.marked_by,
        }
        if self.content_digest is None:
            del out["content_digest"]
        return out

    def canonical_bytes(self) -> bytes:
        """RFC 8785 canonical bytes of :meth:`to_dict`."""
        return self._canonical

    def digest(self) -> str:
        """``sha256:<hex>`` of the canonical bytes; how other records refer to this version."""
        return "sha256:" + self._digest.hex()

    def digest_bytes(self) -> bytes:
        """The 32-byte SHA-256 of the canonical bytes; the label reference in binary formats."""
        return self._digest

    @property
    def marker(self) -> str:
        """The party that made this version: ``marked_by`` if re-marked, else the originator."""
        return self.marked_by if self.marked_by is not None else self.originator

    def equivalent_for(self, party: str) -> str | None:
        """The level reference this label assigns to holder ``party``, if any."""
        return dict(self.equivalents).get(party)

    def remark(self, *, by: str, level: str | None = None, **changes: Any) -> Label:
        """A new label version: ``revision + 1``, superseding this one (JK-4.2, JK-6.g).

        ``level`` changes the originator's level (a reclassification notice); other fields
        (``equivalents``, ``review_on``, ``releasable_to``) may change as keyword arguments.
        The new version is a label-v2 even when this one is a label-v1: the content digest
        is not carried forward. Raises :class:`InputError` if a change touches the item's
        identity or history.
        """
        forbidden = {"item_id", "originator", "content_digest", "revision", "supersedes"}
        if forbidden & changes.keys():
            raise InputError(f"a re-marking cannot change {', '.join(sorted(forbidden))}")
        return replace(
            self,
            level=self.level if level is None else level,
            revision=self.revision + 1,
            supersedes=self.digest(),
            marked_by=by,
            content_digest=None,
            **changes,
        )

    @classmethod
    def batch(
        cls,
        template: Label,
        *,
        item_ids: Sequence[str],
        content_digests: Sequence[str] | None = None,
    ) -> list[Label]:
        """Labels equal to ``template`` but for each item's id (and, for a label-v1
        template only, each content digest).

        The items of one provision share every other field, so the template, a
        :class:`Label`, is validated once and each id (and digest) is checked against its
        exact pattern; each label's canonical bytes are the template's with the values
        spliced in, the bytes that constructing it would give. Raises :class:`InputError`
        naming the first bad id or digest, when digests are given for a label-v2 template
        or missing for a label-v1 one, or when the lists differ in length.
        """
        return _batch(template, item_ids, content_digests)

    @staticmethod
    def remark_batch(labels: Sequence[Label], *, by: str) -> list[Label]:
        """``[label.remark(by=by) for label in labels]``, validated once per shared shape.

        Labels that differ only in item id, content digest and creation time (the items of
        one transfer) share one fully validated re-marking; the others are spliced from it
        (JK-4.2). Raises as :meth:`remark` does.
        """
        return _remark_batch(labels, by)

    @classmethod
    def from_bytes(cls, data: bytes) -> Label:
        """Parse canonical label bytes; raises :class:`InputError` naming what is wrong.

        The bytes must be exactly the canonical form of the label they describe (RFC 8785),
        which rejects whitespace, duplicate members, floats and non-canonical escapes.
        """
        label = _parse(data)
        if label is not None:
            return label
        try:
            raw = json.loads(
                data.decode("utf-8"), parse_float=_no_number, parse_constant=_no_number
            )
        except (UnicodeDecodeError, ValueError) as exc:
            raise InputError(f"label: not valid canonical JSON ({exc})") from None
        label = cls.from_dict(raw)
        if label.canonical_bytes() != data:
            raise InputError("label: JSON is valid but not in canonical form (RFC 8785)")
        return label

    @classmethod
    def from_dict(cls, raw: Any) -> Label:
        """Build a label from its JSON object; raises :class:`InputError` naming the field."""
        if not isinstance(raw, Mapping) or raw.get("format") not in (LABEL_FORMAT, LABEL_FORMAT_V1):
            raise InputError(f"label.format: expected {LABEL_FORMAT!r}")
        members = _MEMBERS if raw["format"] == LABEL_FORMAT_V1 else _MEMBERS_V2
        if raw.keys() != members:
            missing = sorted(members - set(raw))
            if missing:
                raise InputError(f"label.{missing[0]}: missing")
            raise InputError(f"label: unexpected fields {', '.join(sorted(set(raw) - members))}")
        agreement = raw["agreement"]
        if not isinstance(agreement, Mapping) or agreement.keys() != {"id", "version"}:
            raise InputError("label.agreement: must hold exactly id and version")
        return cls(
            item_id=_text(raw, "item"),
            agreement_id=_text(agreement, "id"),
            agreement_version=_text(agreement, "version"),
            originator=_text(raw, "originator"),
            level=_text(raw, "level"),
            equivalents=tuple(_str_map(raw["equivalents"]).items()),
            releasable_to=tuple(_str_list(raw["releasable_to"])),
            route=tuple(_str_list(raw["route"])),
            topic=_text(raw, "topic"),
            purpose=_text(raw, "purpose"),
            created_at=_parse_time(_text(raw, "created_at")),
            review_on=_parse_day(_text(raw, "review_on")),
            content_digest=_text(raw, "content_digest") if members is _MEMBERS else None,
            revision=raw["revision"],
            supersedes=raw["supersedes"],
            marked_by=raw["marked_by"],
        )


def _match(pattern: re.Pattern[str], value: object, name: str, what: str) -> None:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise InputError(f"label.{name}: {value!r} is not {what}")


def _check_revision(revision: object) -> None:
    if not isinstance(revision, int) or isinstance(revision, bool):
        raise InputError("label.revision: must be an integer")
    if not 1 <= revision <= _MAX_REVISION:
        raise InputError("label.revision: must be a positive integer below 2**53")


def _check_times(created_at: object, review_on: object) -> None:
    if not isinstance(created_at, datetime):
        raise InputError("label.created_at: must be a time")
    _utc_text(created_at)
    if not isinstance(review_on, date) or isinstance(review_on, datetime):
        raise InputError("label.review_on: must be a date")


def _check_purpose(purpose: object) -> None:
    if not isinstance(purpose, str) or not purpose.strip() or len(purpose) > _MAX_PURPOSE:
        raise InputError(f"label.purpose: must be 1 to {_MAX_PURPOSE} characters")
    try:
        purpose.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError("label.purpose: holds a lone surrogate") from None


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw[key]
    if not isinstance(value, str):
        raise InputError(f"label.{key}: must be a string")
    return value


def _str_map(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise InputError("label.equivalents: must map party codes to level references")
    return dict(value)


def _str_list(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError("label: a list of party codes is expected")
    return value


def _parse_time(text: str) -> datetime:
    if not _TIME.fullmatch(text):
        raise InputError("label.created_at: must be YYYY-MM-DDTHH:MM:SS.ffffffZ in UTC")
    try:
        return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
    except ValueError:
        raise InputError(f"label.created_at: {text!r} is not a time") from None


def _parse_day(text: str) -> date:
    if not _DAY.fullmatch(text):
        raise InputError("label.review_on: must be YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"label.review_on: {text!r} is not a date") from None


def _no_number(text: str) -> Any:
    raise ValueError(f"non-integer number {text}")


def _ordered_levels(equivalents: tuple[tuple[str, str], ...]) -> bool:
    for party, ref in equivalents:
        if not ref.startswith(party + ":"):
            return False
    parties = [party for party, _ in equivalents]
    return len(parties) < 2 or parties == sorted(set(parties))


# What a batch and a parse ARE, stated plainly. The fast paths in
# gsomia.core._labels_fast (an anchored-pattern parser, a bounded template cache, splicing
# into a validated template's bytes) register in their place when gsomia.core is imported,
# as pyca/cryptography registers its Rust types behind its Python interfaces; the
# differential tests (tests/property/core/test_label_batch.py and
# tests/property/core/test_label_properties.py) hold
# them equal to these.


def _plain_parse(data: bytes) -> Label | None:
    """No shortcut: :meth:`Label.from_bytes` decodes and validates every member."""
    return None


def _plain_batch(
    template: Label, item_ids: Sequence[str], digests: Sequence[str] | None
) -> list[Label]:
    if (digests is None) != (template.content_digest is None):
        raise InputError(
            "label batch: content digests go with a label-v1 template only, and it needs them"
        )
    if digests is not None and len(item_ids) != len(digests):
        raise InputError("label batch: one content digest per item id is needed")
    each = [None] * len(item_ids) if digests is None else digests
    return [
        replace(template, item_id=item_id, content_digest=digest)
        for item_id, digest in zip(item_ids, each, strict=True)
    ]


def _plain_remark_batch(labels: Sequence[Label], by: str) -> list[Label]:
    return [label.remark(by=by) for label in labels]


# The paths in use: the plain ones until the fast ones register.
_parse: Callable[[bytes], Label | None] = _plain_parse
_batch: Callable[[Label, Sequence[str], Sequence[str] | None], list[Label]] = _plain_batch
_remark_batch: Callable[[Sequence[Label], str], list[Label]] = _plain_remark_batch


def register_fast_paths(
    *,
    parse: Callable[[bytes], Label | None],
    batch: Callable[[Label, Sequence[str], Sequence[str] | None], list[Label]],
    remark_batch: Callable[[Sequence[Label], str], list[Label]],
) -> None:
    """Put fast implementations of parsing and batching in place of the plain ones; each
    must give exactly what the plain one gives (the same labels, bytes and errors)."""
    global _parse, _batch, _remark_batch
    _parse, _batch, _remark_batch = parse, batch, remark_batch

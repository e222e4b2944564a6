"""The confidentiality label (label-v1), in the spirit of STANAG 4774.

A label says, for one item: under which agreement it was provided, by whom, at what level
of the originator's scheme, what each holder's equivalent level is, to whom it may be
released, its topic and purpose, when it was made and when it is due for review, and the
digest of the content it labels. Its canonical bytes (RFC 8785, :mod:`gsomia.core.canonical`)
are what the binding signs and what the envelope authenticates as associated data.

A re-marking (JK-4.2 on receipt, JK-6.g on reclassification) is a **new** label with
``revision`` one higher and ``supersedes`` set to the digest of the label it replaces;
labels are never edited in place. The normative byte layout is ``docs/formats/label-v1.md``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from gsomia.core.canonical import parse_canonical
from gsomia.errors import InputError

__all__ = ["LABEL_FORMAT", "Label", "content_digest"]

LABEL_FORMAT = "gsomia/label-v1"

_PARTY = re.compile(r"^[A-Z]{3}$")
_LEVEL_REF = re.compile(r"^[A-Z]{3}:[A-Z][A-Z0-9_]{0,39}$")
_TOKEN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_ITEM = re.compile(r"^[0-9a-f]{32}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_MAX_PURPOSE = 512


def content_digest(content: bytes) -> str:
    """``sha256:<hex>`` of the plaintext content; what a label commits to."""
    return "sha256:" + hashlib.sha256(content).hexdigest()


def _utc_text(at: datetime) -> str:
    if at.tzinfo is None:
        raise InputError("label times must be timezone-aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True, kw_only=True)
class Label:
    """One version of an item's confidentiality label. Immutable; see :meth:`remark`."""

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
    content_digest: str
    route: tuple[str, ...] = ()
    revision: int = 1
    supersedes: str | None = None
    marked_by: str | None = None
    _canonical: bytes = field(default=b"", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._validate()
        # Every member name is ASCII and every value is a validated string, integer, null,
        # list or flat object of strings, so sorting by code point equals RFC 8785's UTF-16
        # order and the C encoder gives the canonical bytes; tests compare it with
        # ``canonical_json`` on random labels.
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        object.__setattr__(self, "_canonical", text.encode("utf-8"))

    def _validate(self) -> None:
        _match(_ITEM, self.item_id, "item_id", "32 lower-case hex digits")
        _match(_TOKEN, self.agreement_id, "agreement_id", "a lower-case identifier")
        _match(_TOKEN, self.agreement_version, "agreement_version", "a lower-case identifier")
        _match(_PARTY, self.originator, "originator", "a three-letter party code")
        _match(_LEVEL_REF, self.level, "level", "a level reference such as JPN:GOKUHI")
        if not self.level.startswith(self.originator + ":"):
            raise InputError("label.level: must be a level of the originator's own scheme")
        parties = [p for p, _ in self.equivalents]
        if len(set(parties)) != len(parties):
            raise InputError("label.equivalents: a holder appears twice")
        for party, ref in self.equivalents:
            _match(_PARTY, party, "equivalents", "three-letter party codes")
            _match(_LEVEL_REF, ref, f"equivalents.{party}", "a level reference")
            if not ref.startswith(party + ":"):
                raise InputError(f"label.equivalents.{party}: must be a level of {party}'s scheme")
        for party in (*self.releasable_to, *self.route):
            _match(_PARTY, party, "releasable_to/route", "three-letter party codes")
        _match(_TOKEN, self.topic, "topic", "a lower-case identifier")
        if not self.purpose.strip() or len(self.purpose) > _MAX_PURPOSE:
            raise InputError(f"label.purpose: must be 1 to {_MAX_PURPOSE} characters")
        _match(_DIGEST, self.content_digest, "content_digest", "sha256:<64 hex digits>")
        if self.revision < 1 or (self.revision == 1) != (self.supersedes is None):
            raise InputError("label.revision: revision 1 supersedes nothing; later ones must")
        if self.supersedes is not None:
            _match(_DIGEST, self.supersedes, "supersedes", "sha256:<64 hex digits>")
        if self.marked_by is not None:
            _match(_PARTY, self.marked_by, "marked_by", "a three-letter party code")
        _utc_text(self.created_at)

    def to_dict(self) -> dict[str, Any]:
        """The label as the JSON object whose canonical bytes are signed."""
        return {
            "format": LABEL_FORMAT,
            "item": self.item_id,
            "agreement": {"id": self.agreement_id, "version": self.agreement_version},
            "originator": self.originator,
            "level": self.level,
            "equivalents": dict(self.equivalents),
            "releasable_to": sorted(self.releasable_to),
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

    def canonical_bytes(self) -> bytes:
        """RFC 8785 canonical bytes of :meth:`to_dict`."""
        return self._canonical

    def digest(self) -> str:
        """``sha256:<hex>`` of the canonical bytes; how other records refer to this version."""
        return "sha256:" + hashlib.sha256(self._canonical).hexdigest()

    def equivalent_for(self, party: str) -> str | None:
        """The level reference this label assigns to holder ``party``, if any."""
        return dict(self.equivalents).get(party)

    def remark(self, *, by: str, level: str | None = None, **changes: Any) -> Label:
        """A new label version: ``revision + 1``, superseding this one (JK-4.2, JK-6.g).

        ``level`` changes the originator's level (a reclassification notice); other fields
        (``equivalents``, ``review_on``, ``releasable_to``) may change as keyword arguments.
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
            **changes,
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Label:
        """Parse canonical label bytes; raises :class:`InputError` naming what is wrong."""
        return cls.from_dict(parse_canonical(data, what="label"))

    @classmethod
    def from_dict(cls, raw: Any) -> Label:
        """Build a label from its JSON object; raises :class:`InputError` naming the field."""
        if not isinstance(raw, Mapping) or raw.get("format") != LABEL_FORMAT:
            raise InputError(f"label.format: expected {LABEL_FORMAT!r}")
        try:
            agreement = raw["agreement"]
            label = cls(
                item_id=_text(raw, "item"),
                agreement_id=_text(agreement, "id"),
                agreement_version=_text(agreement, "version"),
                originator=_text(raw, "originator"),
                level=_text(raw, "level"),
                equivalents=tuple(sorted(_str_map(raw["equivalents"]).items())),
                releasable_to=tuple(_str_list(raw["releasable_to"])),
                route=tuple(_str_list(raw["route"])),
                topic=_text(raw, "topic"),
                purpose=_text(raw, "purpose"),
                created_at=_parse_time(_text(raw, "created_at")),
                review_on=date.fromisoformat(_text(raw, "review_on")),
                content_digest=_text(raw, "content_digest"),
                revision=int(raw["revision"]),
                supersedes=raw["supersedes"],
                marked_by=raw["marked_by"],
            )
        except KeyError as exc:
            raise InputError(f"label.{exc.args[0]}: missing") from None
        except (TypeError, ValueError) as exc:
            raise InputError(f"label: {exc}") from None
        if raw.keys() != label.to_dict().keys():
            extra = sorted(set(raw) - set(label.to_dict()))
            raise InputError(f"label: unexpected fields {', '.join(extra)}")
        return label


def _match(pattern: re.Pattern[str], value: object, name: str, what: str) -> None:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise InputError(f"label.{name}: {value!r} is not {what}")


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
    if not text.endswith("Z"):
        raise InputError("label.created_at: must be UTC with a trailing Z")
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)

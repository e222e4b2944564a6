"""Ledger entries (ledger-entry-v1): one record per act, in canonical JSON, never the content.

An entry says which act (:class:`Event`) happened under which agreement, to which item if
any, on which rules the decision rested, who acted (party and person) and when (UTC, passed
in), plus a small closed map of non-secret details: digests and identifiers, never text.
Its position in the log is its sequence number, so the entry does not carry one.

The bytes start with the version marker line ``gsomia/ledger-entry-v1`` and a newline,
followed by the RFC 8785 canonical JSON (:mod:`gsomia.core.canonical`) of one object. The
marker is checked before any JSON is read, and it keeps entry bytes apart from every other
signed or hashed JSON in gsomia. The normative layout, every field's syntax and test
vectors are in ``docs/formats/ledger-entry-v1.md``.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from gsomia.errors import InputError

__all__ = [
    "DETAIL_KEYS",
    "ENTRY_FORMAT",
    "MAX_ENTRY_BYTES",
    "Actor",
    "Event",
    "LedgerEntry",
]

ENTRY_FORMAT = "gsomia/ledger-entry-v1"
_MARKER = ENTRY_FORMAT.encode() + b"\n"
_MEMBERS = frozenset({"agreement", "event", "item", "rules", "actor", "at", "details"})
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)
MAX_ENTRY_BYTES = 4096

_TOKEN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_PARTY = re.compile(r"^[A-Z]{3}$")
_ITEM = re.compile(r"^[0-9a-f]{32}$")
_RULE = re.compile(r"^[A-Z][A-Z0-9]{0,7}-[A-Za-z0-9][A-Za-z0-9._/()-]{0,39}$")
_TIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_LEVEL_REF = re.compile(r"^[A-Z]{3}:[A-Z][A-Z0-9_]{0,39}$")
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:+/=@-]{0,127}$")
_COUNT = re.compile(r"^(0|[1-9][0-9]{0,15})$")
_MAX_RULES = 16


class Event(enum.StrEnum):
    """Every act the ledger records; a closed list, extended only by a new format revision."""

    ITEM_PROVIDED = "item.provided"  # originator hands an item over (JK-9)
    ITEM_RECEIVED = "item.received"  # recipient takes custody (JK-9)
    ITEM_MARKED = "item.marked"  # marked or re-marked with equivalent levels (JK-4.2, JK-6.g)
    ITEM_OPENED = "item.opened"  # a person opened the content (JK-7)
    ITEM_REFUSED = "item.refused"  # an act on the item was refused by a rule
    ITEM_COPIED = "item.copied"  # a copy was made (JK-14)
    ITEM_TRANSLATED = "item.translated"  # a translation was made (JK-14)
    ITEM_RETURNED = "item.returned"  # returned to the originator (JK-6.h)
    ITEM_DESTROYED = "item.destroyed"  # destroyed (JK-13, JK-6.h)
    CONSENT_ASKED = "consent.asked"  # prior written approval requested (JK-5)
    CONSENT_GIVEN = "consent.given"
    CONSENT_REFUSED = "consent.refused"
    INCIDENT_REPORTED = "incident.reported"  # loss or compromise reported (JK-17.1)
    INCIDENT_INVESTIGATED = "incident.investigated"
    INCIDENT_CLOSED = "incident.closed"
    NOTICE_GIVEN = "notice.given"  # written notice of termination (JK-21.1)
    NOTICE_SUSPENDED = "notice.suspended"  # the notice's effect suspended
    NOTICE_RESUMED = "notice.resumed"  # a suspended notice takes effect again
    NOTICE_WITHDRAWN = "notice.withdrawn"
    AGREEMENT_SIGNED = "agreement.signed"
    AGREEMENT_IN_FORCE = "agreement.in-force"  # entry into force (JK-21.1)
    AGREEMENT_AMENDED = "agreement.amended"  # JK-21.3
    AGREEMENT_EXTENDED = "agreement.extended"  # automatic extension for another year
    AGREEMENT_TERMINATED = "agreement.terminated"
    KEY_ROTATED = "key.rotated"  # a node signing, sealing or witnessing key was replaced
    ITEM_RECLASSIFIED = "item.reclassified"  # the originator changed the level (JK-6.g)
    ITEM_LAPSED = "item.lapsed"  # the purpose of provision lapsed (JK-6.h)
    ITEM_RELEASED = "item.released"  # released to a third party with consent (JK-5.1)
    ITEM_FORWARDED = "item.forwarded"  # the hub forwarded it with consent (TI-2, TI-3)
    ITEM_HANDED_OVER = "item.handed-over"  # moved to a contractor's facility (JK-16.x)
    LAW_NOTIFIED = "law.notified"  # a change of national law notified (JK-3.2)
    VISIT_REQUESTED = "visit.requested"  # a visit asked for (JK-8.1, JK-18.1)
    VISIT_APPROVED = "visit.approved"  # the host party authorised it
    VISIT_REFUSED = "visit.refused"
    AMENDMENT_PROPOSED = "agreement.amendment-proposed"  # by written note (JK-21.3)
    AMENDMENT_ACCEPTED = "agreement.amendment-accepted"  # one party's written consent
    WARNING_SHARED = "warning.shared"  # warning frames sent on a stream (RT-1, RT-2)
    WARNING_RECEIVED = "warning.received"  # warning frames opened as final recipient
    # Added with the registry's own acts (an additive revision of the event list).
    ITEM_PLACED = "item.placed"  # entered on a facility's register (JK-6.e, JK-6.f)
    REGISTRY_FOUNDED = "registry.founded"  # the first security officer (JK-6.e)
    FACILITY_ADDED = "registry.facility-added"
    PERSON_ADDED = "registry.person-added"  # with a clearance of the party's scheme (JK-7.2)
    PERSON_REGISTERED = "registry.person-registered"  # on a facility's register (JK-6.e)
    CONDITION_MET = "registry.condition-met"  # an Art. 16 condition recorded (JK-16.x)
    AUTHORITY_GRANTED = "registry.authority-granted"
    AUTHORITY_REVOKED = "registry.authority-revoked"
    TOKEN_ISSUED = "token.issued"  # noqa: S105 - an event: a token issued (its hash only)
    TOKEN_REVOKED = "token.revoked"  # noqa: S105 - an event
    LAWS_REQUESTED = "law.requested"  # laws and regulations asked for (JK-3.1)
    LAWS_PRODUCED = "law.produced"  # produced on request (JK-3.1)
    ASSURANCE_GIVEN = "assurance.given"  # before a hand-over in person (JK-7.4)
    ASSURANCE_RECEIVED = "assurance.received"
    STATE_RECORDED = "state.recorded"  # a unit of work's sealed rows, by journal digest
    KEY_RETIRED = "key.retired"  # an old own key removed from the keyring for good
    KEY_REWRAPPED = "key.rewrapped"  # kept items' keys re-wrapped under the newest at-rest key
    KEY_UNREGISTERED = "key.unregistered"  # a partner's key no longer trusted (revocation)
    SECRET_ROTATED = "secret.rotated"  # noqa: S105 - an event name: keys sealed under a new secret


def _check_ref(key: str, value: str, pattern: re.Pattern[str], what: str) -> None:
    if not pattern.fullmatch(value):
        raise InputError(f"ledger entry detail {key!r}: expected {what}, got {value!r}")


_DIGEST_RULE = (_DIGEST, "sha256:<64 lower-case hex digits>")
_LEVEL_RULE = (_LEVEL_REF, "a level reference such as JPN:GOKUHI")
_PARTY_RULE = (_PARTY, "a three-letter party code")
_REF_RULE = (_REF, "an identifier without spaces, at most 128 characters")
_COUNT_RULE = (_COUNT, "a decimal count")

DETAIL_KEYS: Mapping[str, tuple[re.Pattern[str], str]] = {
    "label": _DIGEST_RULE,
    "previous_label": _DIGEST_RULE,
    "level": _LEVEL_RULE,
    "equivalent_level": _LEVEL_RULE,
    "counterparty": _PARTY_RULE,
    "via": _PARTY_RULE,
    "transfer": _REF_RULE,
    "copy": _REF_RULE,
    "translation": _REF_RULE,
    "consent": _REF_RULE,
    "incident": _REF_RULE,
    "visit": _REF_RULE,
    "notice": _REF_RULE,
    "facility": _REF_RULE,
    "method": _REF_RULE,
    "key": _REF_RULE,
    "previous_key": _REF_RULE,
    "agreement_version": _REF_RULE,
    "decision": _DIGEST_RULE,
    "record": _DIGEST_RULE,
    "subject": (_TOKEN, "a person id"),
    "authority": (_TOKEN, "an authority name"),
    "condition": (_TOKEN, "a condition letter"),
    "token": _REF_RULE,
    "request": _REF_RULE,
    "in_person": (_TOKEN, "a person id"),
    "kind": (_TOKEN, "a record kind"),
    "revision": _COUNT_RULE,
    "count": _COUNT_RULE,
}
"""The closed set of detail keys, each with the syntax of its value (no free text)."""


def _utc_text(at: datetime) -> str:
    if at.tzinfo is None:
        raise InputError("ledger entry time must be timezone-aware")
    try:
        u = at.astimezone(UTC)
    except OverflowError:
        raise InputError("ledger entry time is out of range") from None
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T"
        f"{u.hour:02d}:{u.minute:02d}:{u.second:02d}.{u.microsecond:06d}Z"
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """Who acted: a party (ISO 3166 alpha-3) and a person id of that party."""

    party: str
    person: str

    def __post_init__(self) -> None:
        if not _PARTY.fullmatch(self.party):
            raise InputError(f"ledger entry actor party {self.party!r}: three capital letters")
        if not _TOKEN.fullmatch(self.person):
            raise InputError(f"ledger entry actor person {self.person!r}: a lower-case id")


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerEntry:
    """One act under an agreement, as the ledger records it (ledger-entry-v1).

    Raises :class:`InputError` on construction when a field is out of its syntax.
    """

    agreement_id: str
    event: Event
    actor: Actor
    at: datetime
    item_id: str | None = None
    rule_ids: tuple[str, ...] = ()
    details: Mapping[str, str] = field(default_factory=dict)
    _bytes: bytes = field(default=b"", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "event", Event(self.event))
        object.__setattr__(self, "rule_ids", tuple(self.rule_ids))
        object.__setattr__(self, "details", MappingProxyType(dict(sorted(self.details.items()))))
        if not _TOKEN.fullmatch(self.agreement_id):
            raise InputError(f"ledger entry agreement {self.agreement_id!r}: a lower-case id")
        if self.item_id is not None and not _ITEM.fullmatch(self.item_id):
            raise InputError(f"ledger entry item {self.item_id!r}: 32 lower-case hex digits")
        self._check_rules()
        self._check_details()
        # Every value is now a validated ASCII string without quotes, backslashes or controls,
        # a list of them, null, or a flat object of them, so sorted keys and compact
        # separators from the C encoder are exactly RFC 8785; a test compares with
        # ``canonical_json``.
        data = _MARKER + _ENCODER.encode(self.to_dict()).encode("ascii")
        if len(data) > MAX_ENTRY_BYTES:
            raise InputError(f"ledger entry is {len(data)} bytes; the limit is {MAX_ENTRY_BYTES}")
        object.__setattr__(self, "_bytes", data)

    def _check_rules(self) -> None:
        if len(self.rule_ids) > _MAX_RULES:
            raise InputError(f"ledger entry cites more than {_MAX_RULES} rules")
        if len(set(self.rule_ids)) != len(self.rule_ids):
            raise InputError("ledger entry cites a rule twice")
        rules: tuple[object, ...] = self.rule_ids
        for rule in rules:
            if not isinstance(rule, str) or not _RULE.fullmatch(rule):
                raise InputError(f"ledger entry rule id {rule!r}: expected e.g. JK-7.2")

    def _check_details(self) -> None:
        items: list[tuple[object, object]] = list(self.details.items())
        for key, value in items:
            rule = DETAIL_KEYS.get(key) if isinstance(key, str) else None
            if rule is None:
                raise InputError(f"ledger entry detail {key!r} is not one of ledger-entry-v1")
            if not isinstance(value, str):
                raise InputError(f"ledger entry detail {key!r} must be a string")
            _check_ref(str(key), value, *rule)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object whose canonical bytes are the entry."""
        return {
            "agreement": self.agreement_id,
            "event": self.event.value,
            "item": self.item_id,
            "rules": list(self.rule_ids),
            "actor": {"party": self.actor.party, "person": self.actor.person},
            "at": _utc_text(self.at),
            "details": dict(self.details),
        }

    def to_bytes(self) -> bytes:
        """The marker line and canonical JSON (RFC 8785) that the log stores and hashes.

        Entries over ``MAX_ENTRY_BYTES`` are refused when constructed.
        """
        return self._bytes

    @classmethod
    def batch(
        cls,
        template: LedgerEntry,
        *,
        item_ids: Sequence[str],
        details: Mapping[str, Sequence[str]] | None = None,
    ) -> list[LedgerEntry]:
        """Entries equal to ``template`` but for each one's item id and ``details`` values.

        For one act on many items (a provision, a transfer): the template is validated once;
        each item id and each varying detail value is checked against its syntax and spliced
        into the template's canonical bytes, which gives the bytes constructing the entry
        would (ledger-entry-v1). The template must name an item and hold every varying detail
        key. Raises :class:`InputError` on a bad value, lists of unequal length, or an entry
        over ``MAX_ENTRY_BYTES``.
        """
        return _batch(template, item_ids, details or {})

    @classmethod
    def from_bytes(cls, data: bytes) -> LedgerEntry:
        """Parse and validate entry bytes; raises :class:`InputError` if not ledger-entry-v1."""
        if len(data) > MAX_ENTRY_BYTES:
            raise InputError("ledger entry is longer than the format allows")
        if not data.startswith(_MARKER):
            raise InputError(f"not a {ENTRY_FORMAT} entry")
        try:
            value = _DECODER.decode(data[len(_MARKER) :].decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise InputError(f"ledger entry is not JSON ({exc})") from None
        if not isinstance(value, dict) or set(value) != _MEMBERS:
            raise InputError("ledger entry members are not those of ledger-entry-v1")
        entry = cls._from_dict(value)
        # Re-encoding a valid entry gives its only canonical form; anything else was not it
        # (whitespace, escapes, duplicate or reordered members).
        if entry.to_bytes() != data:
            raise InputError("ledger entry is valid JSON but not in canonical form (RFC 8785)")
        return entry

    @classmethod
    def _from_dict(cls, value: dict[str, Any]) -> LedgerEntry:
        actor, at, rules, details = value["actor"], value["at"], value["rules"], value["details"]
        if not isinstance(actor, dict) or set(actor) != {"party", "person"}:
            raise InputError("ledger entry actor must hold exactly party and person")
        if not isinstance(at, str) or not _TIME.fullmatch(at):
            raise InputError("ledger entry time must read YYYY-MM-DDTHH:MM:SS.ffffffZ")
        if not isinstance(rules, list) or not isinstance(details, dict):
            raise InputError("ledger entry rules must be a list and details an object")
        try:
            event = Event(value["event"])
            when = datetime(
                int(at[0:4]),
                int(at[5:7]),
                int(at[8:10]),
                int(at[11:13]),
                int(at[14:16]),
                int(at[17:19]),
                int(at[20:26]),
                tzinfo=UTC,
            )
        except (ValueError, TypeError) as exc:
            raise InputError(f"ledger entry: {exc}") from None
        return cls(
            agreement_id=_text(value["agreement"], "agreement"),
            event=event,
            item_id=None if value["item"] is None else _text(value["item"], "item"),
            rule_ids=tuple(rules),
            actor=Actor(
                party=_text(actor["party"], "party"), person=_text(actor["person"], "person")
            ),
            at=when,
            details=details,
        )


# What a batch IS, stated plainly: each entry constructed, and so validated, in full. The
# fast path in gsomia.ledger._entries_fast (values checked a column at a time and spliced
# into the validated template's bytes) registers in its place when gsomia.ledger is
# imported, as the labels' do; tests/property/ledger/test_entry_batch.py holds them equal.


def _plain_batch(
    template: LedgerEntry, item_ids: Sequence[str], details: Mapping[str, Sequence[str]]
) -> list[LedgerEntry]:
    if template.item_id is None or not set(details) <= template.details.keys():
        raise InputError("ledger entry batch: the template must name an item and each detail")
    for key in sorted(details):
        if len(details[key]) != len(item_ids):
            raise InputError(f"ledger entry batch: one {key!r} per item is needed")
    return [
        LedgerEntry(
            agreement_id=template.agreement_id,
            event=template.event,
            actor=template.actor,
            at=template.at,
            item_id=item_id,
            rule_ids=template.rule_ids,
            details={**template.details, **{k: v[i] for k, v in details.items()}},
        )
        for i, item_id in enumerate(item_ids)
    ]


_batch: Callable[[LedgerEntry, Sequence[str], Mapping[str, Sequence[str]]], list[LedgerEntry]] = (
    _plain_batch
)


def register_fast_batch(
    batch: Callable[[LedgerEntry, Sequence[str], Mapping[str, Sequence[str]]], list[LedgerEntry]],
) -> None:
    """Put a fast batch in place of the plain one; it must give exactly what the plain one
    gives (the same entries, bytes and errors)."""
    global _batch  # noqa: PLW0603 (registered once, at import; read on every call)
    _batch = batch


def _refuse(text: str) -> Any:
    raise ValueError(f"non-integer number {text}")


_DECODER = json.JSONDecoder(parse_float=_refuse, parse_constant=_refuse)


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"ledger entry {what} must be a string")
    return value

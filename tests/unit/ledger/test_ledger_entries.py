"""ledger-entry-v1: fields are validated, bytes round-trip, nothing else parses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gsomia.core.canonical import canonical_json
from gsomia.errors import InputError
from gsomia.ledger.entries import (
    DETAIL_KEYS,
    ENTRY_FORMAT,
    MAX_ENTRY_BYTES,
    Actor,
    Event,
    LedgerEntry,
)

T = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def make(**changes: object) -> LedgerEntry:
    fields: dict[str, object] = {
        "agreement_id": "jp-kr-2016",
        "event": Event.ITEM_PROVIDED,
        "actor": Actor(party="JPN", person="tanaka"),
        "at": T,
        "item_id": "0123456789abcdef0123456789abcdef",
        "rule_ids": ("JK-7.2",),
        "details": {"counterparty": "KOR"},
    }
    fields.update(changes)
    return LedgerEntry(**fields)  # type: ignore[arg-type]


def test_bytes_start_with_the_version_marker_and_round_trip() -> None:
    entry = make(details={"transfer": "t-1", "label": "sha256:" + "0" * 64})
    data = entry.to_bytes()
    assert data.startswith(ENTRY_FORMAT.encode() + b"\n{")
    assert LedgerEntry.from_bytes(data) == entry
    assert b" " not in data


def test_every_act_of_the_issue_has_an_event_kind() -> None:
    wanted = {
        "item.provided", "item.received", "item.marked", "item.opened", "item.refused",
        "item.copied", "item.translated", "item.destroyed", "consent.asked", "consent.given",
        "consent.refused", "incident.reported", "incident.investigated", "incident.closed",
        "notice.given", "notice.suspended", "notice.withdrawn", "key.rotated",
    }  # fmt: skip
    assert wanted <= {e.value for e in Event}
    assert any(e.value.startswith("agreement.") for e in Event)


def test_times_are_stored_in_utc_with_microseconds() -> None:
    tokyo = timezone(timedelta(hours=9))
    entry = make(at=datetime(2026, 11, 28, 21, 0, 0, 5, tzinfo=tokyo))
    assert b'"at":"2026-11-28T12:00:00.000005Z"' in entry.to_bytes()
    with pytest.raises(InputError):
        make(at=datetime(2026, 11, 28, 12, 0))


@pytest.mark.parametrize(
    "changes",
    [
        {"agreement_id": "JP KR"},
        {"item_id": "0123"},
        {"item_id": "0123456789ABCDEF0123456789ABCDEF"},
        {"rule_ids": ("JK-7.2", "JK-7.2")},
        {"rule_ids": ("not a rule",)},
        {"rule_ids": tuple(f"JK-{i}" for i in range(17))},
        {"details": {"reason": "free text is not allowed"}},
        {"details": {"transfer": "has spaces in it"}},
        {"details": {"label": "md5:abc"}},
        {"details": {"level": "GOKUHI"}},
        {"details": {"counterparty": "Korea"}},
        {"details": {"count": "007"}},
        {"event": "item.teleported"},
    ],
)
def test_fields_outside_their_syntax_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises((InputError, ValueError)):
        make(**changes)


@pytest.mark.parametrize(("party", "person"), [("Japan", "tanaka"), ("JPN", "Tanaka San")])
def test_actors_are_validated(party: str, person: str) -> None:
    with pytest.raises(InputError):
        Actor(party=party, person=person)


def test_details_are_closed_and_typed() -> None:
    assert "label" in DETAIL_KEYS and "content" not in DETAIL_KEYS
    with pytest.raises(InputError):
        make(details={"count": 3})


def good() -> bytes:
    return make().to_bytes()


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"{}",
        good()[len(ENTRY_FORMAT) + 1 :],
        good().replace(b"ledger-entry-v1", b"ledger-entry-v2"),
        good().replace(b'{"actor"', b'{ "actor"'),
        good().replace(b'"rules":["JK-7.2"]', b'"rules":["JK-7.2"],"x":1'),
        good().replace(b'"item.provided"', b'"item.unknown"'),
        good().replace(b'Z"', b'"'),
        good()[:-1],
        ENTRY_FORMAT.encode() + b"\n" + b"[" * 10,
        ENTRY_FORMAT.encode() + b"\n" + b'{"a":' + b"1" * MAX_ENTRY_BYTES + b"}",
    ],
    ids=range(11),
)
def test_anything_but_a_valid_entry_is_refused(data: bytes) -> None:
    with pytest.raises(InputError):
        LedgerEntry.from_bytes(data)


def test_entries_over_the_size_limit_are_refused() -> None:
    many = tuple(f"JK-{'x' * 39}{i:x}"[:48] for i in range(16))
    entry = make(rule_ids=many, details={k: "a" * 128 for k in ("transfer", "copy", "key")})
    assert len(entry.to_bytes()) < MAX_ENTRY_BYTES


def ids(alphabet: str, size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet, min_size=1, max_size=size)


LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"
REF = LOWER + "ABCDEFGHIJKLMNOPQRSTUVWXYZ._:+/=@-"


@st.composite
def entries(draw: st.DrawFn) -> LedgerEntry:
    details = draw(
        st.dictionaries(
            st.sampled_from(["transfer", "copy", "key", "facility", "notice", "method"]),
            st.sampled_from(LOWER).flatmap(
                lambda first: ids(REF, 60).map(lambda rest: first + rest)
            ),
            max_size=4,
        )
    )
    return make(
        agreement_id=draw(st.sampled_from(LOWER)) + draw(st.text(LOWER + ".-_", max_size=20)),
        event=draw(st.sampled_from(list(Event))),
        item_id=draw(st.none() | st.text("0123456789abcdef", min_size=32, max_size=32)),
        rule_ids=tuple(
            draw(st.lists(st.sampled_from(["JK-7.2", "TI-3", "JK-6.g", "JK-13/14"]), unique=True))
        ),
        at=draw(st.datetimes(timezones=st.just(UTC))),
        details=details,
    )


@given(entry=entries())
@settings(deadline=None)
def test_the_fast_encoder_is_rfc_8785_and_round_trips(entry: LedgerEntry) -> None:
    data = entry.to_bytes()
    assert data == ENTRY_FORMAT.encode() + b"\n" + canonical_json(entry.to_dict())
    assert LedgerEntry.from_bytes(data) == entry


def test_escaped_or_unicode_spellings_of_a_valid_entry_are_refused() -> None:
    data = good()
    for variant in (
        data.replace(b'"JPN"', b'"\\u004aPN"'),
        data.replace(b'"at":"2', b'"at":"\xd9\xa2'),
        data.replace(b'"rules"', b'"rules" '),
    ):
        with pytest.raises(InputError):
            LedgerEntry.from_bytes(variant)

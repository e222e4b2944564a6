"""``LedgerEntry.batch`` gives exactly the entries (fields and bytes) that constructing each
one gives, and refuses every value that construction refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gsomia.errors import InputError
from gsomia.ledger.entries import Actor, Event, LedgerEntry

EXAMPLES = settings(max_examples=80, deadline=None)
T = datetime(2026, 11, 28, 12, 0, 0, 7, tzinfo=UTC)

ids = st.binary(min_size=16, max_size=16).map(bytes.hex)
digests = st.binary(min_size=32, max_size=32).map(lambda b: "sha256:" + b.hex())
refs = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._:+/=@-]{0,40}\Z")
levels = st.sampled_from(["KOR:GUNSA_II", "JPN:GOKUHI", "USA:SECRET"])
parties = st.sampled_from(["JPN", "KOR", "USA"])
counts = st.integers(0, 10**6).map(str)
VALUES: dict[str, st.SearchStrategy[str]] = {
    "label": digests,
    "previous_label": digests,
    "decision": digests,
    "level": levels,
    "equivalent_level": levels,
    "counterparty": parties,
    "via": parties,
    "transfer": refs,
    "consent": refs,
    "count": counts,
}


@st.composite
def cases(draw: st.DrawFn) -> tuple[LedgerEntry, list[str], dict[str, list[str]]]:
    """A template entry, item ids, and columns of values for some of its detail keys."""
    keys = draw(st.lists(st.sampled_from(sorted(VALUES)), unique=True, max_size=5))
    varying = draw(st.lists(st.sampled_from(keys), unique=True)) if keys else []
    n = draw(st.integers(1, 6))
    template = LedgerEntry(
        agreement_id=draw(st.sampled_from(["jpn-kor-gsomia", "tisa", "kor-usa-gsomia"])),
        event=draw(st.sampled_from(list(Event))),
        actor=Actor(party=draw(parties), person=draw(st.sampled_from(["node", "kim", "sato"]))),
        at=T.astimezone(timezone(timedelta(hours=draw(st.integers(-9, 9))))),
        item_id=draw(ids),
        rule_ids=tuple(draw(st.lists(st.sampled_from(["JK-4.2", "JK-9.1", "TI-3"]), unique=True))),
        details={k: draw(VALUES[k]) for k in keys},
    )
    columns = {k: [draw(VALUES[k]) for _ in range(n)] for k in varying}
    return template, [draw(ids) for _ in range(n)], columns


def plain(template: LedgerEntry, item_id: str, values: dict[str, str]) -> LedgerEntry:
    return LedgerEntry(
        agreement_id=template.agreement_id,
        event=template.event,
        actor=template.actor,
        at=template.at,
        item_id=item_id,
        rule_ids=template.rule_ids,
        details={**template.details, **values},
    )


@given(cases())
@EXAMPLES
def test_a_batch_is_what_constructing_each_entry_gives(
    case: tuple[LedgerEntry, list[str], dict[str, list[str]]],
) -> None:
    template, item_ids, columns = case
    fast = LedgerEntry.batch(template, item_ids=item_ids, details=columns)
    slow = [
        plain(template, item_id, {k: column[i] for k, column in columns.items()})
        for i, item_id in enumerate(item_ids)
    ]
    assert fast == slow
    assert [e.to_bytes() for e in fast] == [e.to_bytes() for e in slow]
    assert [LedgerEntry.from_bytes(e.to_bytes()) for e in fast] == slow


def template(**details: str) -> LedgerEntry:
    return LedgerEntry(
        agreement_id="jpn-kor-gsomia",
        event=Event.ITEM_MARKED,
        actor=Actor(party="KOR", person="node"),
        at=T,
        item_id="0" * 32,
        rule_ids=("JK-4.2",),
        details=details or {"label": "sha256:" + "0" * 64, "transfer": "t-1"},
    )


@pytest.mark.parametrize(
    ("item_ids", "details"),
    [
        (["a" * 32, "A" * 32], {}),
        (["a" * 32, "a" * 32 + "\n" + "b" * 32], {}),
        (["a" * 32, None], {}),
        (["a" * 32], {"label": ["md5:abc"]}),
        (["a" * 32], {"label": ["sha256:" + "0" * 64 + "\nsha256:" + "1" * 64]}),
        (["a" * 32], {"transfer": ["has spaces"]}),
        (["a" * 32], {"transfer": [3]}),
        (["a" * 32, "b" * 32], {"label": ["sha256:" + "0" * 64]}),
        (["a" * 32], {"level": ["KOR:GUNSA_II"]}),  # not a key of the template
        (["a" * 32], {"transfer": ["x" * 129]}),
    ],
    ids=range(10),
)
def test_values_outside_their_syntax_are_refused(item_ids: list[Any], details: Any) -> None:
    with pytest.raises(InputError):
        LedgerEntry.batch(template(), item_ids=item_ids, details=details)


def test_a_template_about_no_item_is_refused() -> None:
    base = template()
    entry = LedgerEntry(
        agreement_id=base.agreement_id, event=base.event, actor=base.actor, at=base.at
    )
    with pytest.raises(InputError):
        LedgerEntry.batch(entry, item_ids=["a" * 32])

"""The entries' fast batch is registered, and gives what the plain definition gives."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gsomia.errors import InputError
from gsomia.ledger import _entries_fast, entries
from gsomia.ledger.entries import Actor, Event, LedgerEntry

TEMPLATE = LedgerEntry(
    agreement_id="jpn-kor-gsomia",
    event=Event.ITEM_MARKED,
    actor=Actor(party="KOR", person="node"),
    at=datetime(2026, 11, 28, 12, 0, tzinfo=UTC),
    item_id="0" * 32,
    rule_ids=("JK-4.2",),
    details={"label": "sha256:" + "0" * 64, "transfer": "t-1"},
)
IDS = [f"{i:032x}" for i in range(1, 6)]
LABELS = ["sha256:" + f"{i:064x}" for i in range(1, 6)]


def test_importing_gsomia_ledger_registers_the_fast_batch() -> None:
    assert entries._batch is _entries_fast._batch


@pytest.mark.parametrize("details", [{}, {"label": LABELS}, {"label": LABELS, "transfer": IDS}])
def test_the_fast_batch_gives_what_the_plain_one_gives(details: dict[str, list[str]]) -> None:
    fast = LedgerEntry.batch(TEMPLATE, item_ids=IDS, details=details)
    plain = entries._plain_batch(TEMPLATE, IDS, details)
    assert fast == plain
    assert [e.to_bytes() for e in fast] == [e.to_bytes() for e in plain]


@pytest.mark.parametrize("batch", [entries._plain_batch, _entries_fast._batch])
@pytest.mark.parametrize(
    ("ids", "details"),
    [
        (["0" * 31 + "g"], {}),
        (IDS, {"label": LABELS[:2]}),
        (IDS, {"label": ["sha256:zz"] * 5}),
        (IDS, {"counterparty": ["KOR"] * 5}),  # not in the template
        (IDS, {"transfer": ["x" * 5000] * 5}),  # longer than a reference may be
    ],
)
def test_both_batches_refuse_the_same_bad_input(
    batch: object, ids: list[str], details: dict[str, list[str]]
) -> None:
    with pytest.raises(InputError):
        batch(TEMPLATE, ids, details)  # type: ignore[operator]

"""The labels' fast paths are registered, and give what the plain definitions give."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from gsomia.core import _labels_fast, labels
from gsomia.core.labels import Label
from gsomia.errors import InputError

TEMPLATE = Label(
    item_id="0" * 32,
    agreement_id="jpn-kor-gsomia",
    agreement_version="2016",
    originator="JPN",
    level="JPN:HI",
    equivalents=(("KOR", "KOR:GUNSA_II"),),
    releasable_to=("KOR",),
    topic="missile-warning",
    purpose="Exercise «Pacific Dragon»",
    created_at=datetime(2026, 11, 28, 12, 0, 0, 123456, tzinfo=UTC),
    review_on=date(2030, 1, 1),
    route=("JPN", "KOR"),
)
IDS = [f"{i:032x}" for i in range(1, 6)]


def test_importing_gsomia_core_registers_the_fast_paths() -> None:
    assert labels._parse is _labels_fast._parse_canonical_fast
    assert labels._batch is _labels_fast._batch
    assert labels._remark_batch is _labels_fast._remark_batch


def test_the_fast_batch_and_remark_batch_give_what_the_plain_ones_give() -> None:
    fast = Label.batch(TEMPLATE, item_ids=IDS)
    plain = labels._plain_batch(TEMPLATE, IDS, None)
    assert fast == plain
    assert [x.canonical_bytes() for x in fast] == [x.canonical_bytes() for x in plain]
    remarked = Label.remark_batch(fast, by="KOR")
    assert remarked == labels._plain_remark_batch(fast, "KOR")
    assert [x.digest() for x in remarked] == [x.digest() for x in plain_remarks(fast)]


def plain_remarks(batch: list[Label]) -> list[Label]:
    return [label.remark(by="KOR") for label in batch]


@pytest.mark.parametrize("batch", [labels._plain_batch, _labels_fast._batch])
@pytest.mark.parametrize(
    ("ids", "digests"),
    [(["0" * 31 + "g"], None), (IDS, ["sha256:" + "0" * 64] * 5), (["A" * 32], None)],
)
def test_both_batches_refuse_the_same_bad_input(
    batch: object, ids: list[str], digests: list[str] | None
) -> None:
    with pytest.raises(InputError):
        batch(TEMPLATE, ids, digests)  # type: ignore[operator]


def test_the_plain_parse_takes_no_shortcut_and_from_bytes_still_reads_a_label() -> None:
    data = TEMPLATE.canonical_bytes()
    assert labels._plain_parse(data) is None
    assert _labels_fast._parse_canonical_fast(data) == TEMPLATE
    assert Label.from_bytes(data) == TEMPLATE

"""Label batches: ``Label.batch`` and ``Label.remark_batch`` give exactly the labels (fields,
canonical bytes, digests) that constructing or re-marking each one does, and refuse what
construction refuses."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gsomia.core.labels import Label
from gsomia.errors import InputError

PARTIES = ["JPN", "KOR", "USA", "AUS"]
NAMES = ["SECRET", "GOKUHI", "GUNSA_II", "HI"]
EXAMPLES = settings(max_examples=80, deadline=None)

tokens = st.from_regex(r"\A[a-z0-9][a-z0-9._-]{0,20}\Z")
ids = st.binary(min_size=16, max_size=16).map(bytes.hex)
digests = st.binary(min_size=32, max_size=32).map(lambda b: "sha256:" + b.hex())
purposes = st.text(min_size=1, max_size=60).filter(
    lambda t: t.strip() != "" and not any(0xD800 <= ord(c) <= 0xDFFF for c in t)
)
zones = st.sampled_from([UTC, timezone(timedelta(hours=9)), timezone(timedelta(hours=-5))])
times = st.builds(
    lambda t, z: t.replace(tzinfo=UTC).astimezone(z),
    st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2098, 1, 1)),
    zones,
)


@st.composite
def templates(draw: st.DrawFn) -> Label:
    """A random valid label of any revision."""
    originator = draw(st.sampled_from(PARTIES))
    holders = draw(st.lists(st.sampled_from(PARTIES), unique=True, max_size=3))
    revision = draw(st.integers(1, 4))
    return Label(
        item_id=draw(ids),
        agreement_id=draw(tokens),
        agreement_version=draw(tokens),
        originator=originator,
        level=f"{originator}:{draw(st.sampled_from(NAMES))}",
        equivalents=tuple((p, f"{p}:{draw(st.sampled_from(NAMES))}") for p in holders),
        releasable_to=tuple(holders),
        topic=draw(tokens),
        purpose=draw(purposes),
        created_at=draw(times),
        review_on=date(2030, 1, 1) + timedelta(days=draw(st.integers(0, 900))),
        content_digest=draw(digests),
        route=tuple(draw(st.lists(st.sampled_from(PARTIES), max_size=3))),
        revision=revision,
        supersedes=None if revision == 1 else draw(digests),
        marked_by=None if revision == 1 else draw(st.sampled_from(PARTIES)),
    )


def same(fast: list[Label], plain: list[Label]) -> None:
    assert fast == plain
    assert [x.canonical_bytes() for x in fast] == [x.canonical_bytes() for x in plain]
    assert [x.digest() for x in fast] == [x.digest() for x in plain]
    for label in fast:
        assert Label.from_bytes(label.canonical_bytes()) == label


@given(templates(), st.lists(st.tuples(ids, digests), min_size=1, max_size=8))
@EXAMPLES
def test_a_batch_is_what_constructing_each_label_gives(
    template: Label, items: list[tuple[str, str]]
) -> None:
    fast = Label.batch(
        template, item_ids=[i for i, _ in items], content_digests=[d for _, d in items]
    )
    same(fast, [replace(template, item_id=i, content_digest=d) for i, d in items])


@given(
    templates(),
    st.lists(st.tuples(ids, digests, times), min_size=1, max_size=8),
    st.sampled_from(PARTIES),
)
@EXAMPLES
def test_a_remark_batch_is_what_remarking_each_label_gives(
    template: Label, items: list[tuple[str, str, datetime]], by: str
) -> None:
    labels = [replace(template, item_id=i, content_digest=d, created_at=t) for i, d, t in items]
    same(Label.remark_batch(labels, by=by), [label.remark(by=by) for label in labels])


@given(st.lists(templates(), min_size=1, max_size=6), st.sampled_from(PARTIES))
@EXAMPLES
def test_a_remark_batch_of_unlike_labels_keeps_their_order(labels: list[Label], by: str) -> None:
    same(Label.remark_batch(labels, by=by), [label.remark(by=by) for label in labels])


# Two good ids joined by a newline would pass a check of the joined column by lines alone.
BAD_IDS = ["", "A" * 32, "a" * 31, "a" * 33, "g" * 32, "a" * 31 + "\n", "a" * 32 + "\n" + "b" * 32]
BAD_DIGESTS = ["", "sha256:" + "A" * 64, "sha256:" + "a" * 63, "sha1:" + "a" * 64, "x\nsha256:"]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_bad_item_id_is_named_and_refused(bad: str) -> None:
    with pytest.raises(InputError, match="item_id"):
        Label.batch(
            Label.from_bytes(LABEL), item_ids=["b" * 32, bad], content_digests=[DIGEST, DIGEST]
        )


@pytest.mark.parametrize("bad", [*BAD_DIGESTS, 7, None])
def test_a_bad_content_digest_is_named_and_refused(bad: object) -> None:
    with pytest.raises(InputError, match="content_digest"):
        Label.batch(
            Label.from_bytes(LABEL),
            item_ids=["b" * 32, "c" * 32],
            content_digests=[DIGEST, bad],  # type: ignore[list-item]
        )


def test_lists_of_unequal_length_are_refused() -> None:
    with pytest.raises(InputError):
        Label.batch(Label.from_bytes(LABEL), item_ids=["b" * 32], content_digests=[])


def test_a_remark_batch_refuses_what_remark_refuses() -> None:
    with pytest.raises(InputError):
        Label.remark_batch([Label.from_bytes(LABEL)], by="jp")


DIGEST = "sha256:" + "1" * 64
LABEL = (
    b'{"agreement":{"id":"jpn-kor-gsomia","version":"2016"},"content_digest":"sha256:'
    + b"2" * 64
    + b'","created_at":"2019-10-02T09:00:00.000001Z","equivalents":{"KOR":"KOR:GUNSA_II"},'
    b'"format":"gsomia/label-v1","item":"' + b"3" * 32 + b'","level":"JPN:GOKUHI",'
    b'"marked_by":null,"originator":"JPN","purpose":"missile warning",'
    b'"releasable_to":["KOR"],"review_on":"2024-10-01","revision":1,"route":["JPN","KOR"],'
    b'"supersedes":null,"topic":"nk-missile"}'
)

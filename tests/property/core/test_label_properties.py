"""Labels (label-v2, and label-v1 as read): canonical bytes are RFC 8785, parsing
round-trips, and the fast parser agrees with the general one on every input, valid or
mutated."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gsomia.core import _labels_fast as labels_module
from gsomia.core.canonical import canonical_json
from gsomia.core.labels import Label
from gsomia.errors import InputError

PARTIES = ["JPN", "KOR", "USA", "AUS", "GBR"]
LEVEL_NAMES = ["SECRET", "GOKUHI", "GUNSA_II", "HI", "CONFIDENTIAL", "TOKUTEI_HIMITSU"]
EXAMPLES = settings(max_examples=300, deadline=None)

tokens = st.from_regex(r"\A[a-z0-9][a-z0-9._-]{0,20}\Z")
digests = st.binary(min_size=32, max_size=32).map(lambda b: "sha256:" + b.hex())
purposes = st.text(min_size=1, max_size=80).filter(
    lambda t: t.strip() != "" and not any(0xD800 <= ord(c) <= 0xDFFF for c in t)
)
times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
)


ANY_REVISION = st.integers(1, 5)


@st.composite
def labels(draw: st.DrawFn, *, revisions: st.SearchStrategy[int] = ANY_REVISION) -> Label:
    originator = draw(st.sampled_from(PARTIES))
    holders = draw(st.lists(st.sampled_from(PARTIES), unique=True, max_size=4))
    revision = draw(revisions)
    return Label(
        item_id=draw(st.binary(min_size=16, max_size=16)).hex(),
        agreement_id=draw(tokens),
        agreement_version=draw(tokens),
        originator=originator,
        level=f"{originator}:{draw(st.sampled_from(LEVEL_NAMES))}",
        equivalents=tuple((p, f"{p}:{draw(st.sampled_from(LEVEL_NAMES))}") for p in holders),
        releasable_to=tuple(draw(st.permutations(holders))),
        topic=draw(tokens),
        purpose=draw(purposes),
        created_at=draw(times),
        review_on=draw(times).date() + timedelta(days=draw(st.integers(0, 400))),
        content_digest=draw(st.none() | digests),
        route=tuple(draw(st.lists(st.sampled_from(PARTIES), max_size=3))),
        revision=revision,
        supersedes=None if revision == 1 else draw(digests),
        marked_by=None if revision == 1 else draw(st.sampled_from(PARTIES)),
    )


def general_parse(data: bytes) -> Label:
    """The general path: decode JSON, build and validate, compare canonical bytes."""
    label = Label.from_dict(json.loads(data))
    if label.canonical_bytes() != data:
        raise InputError("not canonical")
    return label


@given(labels())
@EXAMPLES
def test_canonical_bytes_are_rfc_8785(label: Label) -> None:
    assert label.canonical_bytes() == canonical_json(label.to_dict())


@given(labels())
@EXAMPLES
def test_labels_round_trip_through_both_parsers(label: Label) -> None:
    data = label.canonical_bytes()
    fast = labels_module._parse_canonical_fast(data)
    assert fast == label
    assert fast is not None and fast.canonical_bytes() == data
    assert fast.digest_bytes() == label.digest_bytes()
    assert general_parse(data) == label
    assert Label.from_bytes(data) == label


@given(labels(), st.data())
@EXAMPLES
def test_the_fast_parser_never_accepts_what_the_general_one_refuses(
    label: Label, data: st.DataObject
) -> None:
    raw = bytearray(label.canonical_bytes())
    action = data.draw(st.sampled_from(["flip", "insert", "delete"]))
    position = data.draw(st.integers(0, len(raw) - 1))
    if action == "flip":
        raw[position] ^= data.draw(st.integers(1, 255))
    elif action == "insert":
        raw.insert(position, data.draw(st.sampled_from(b' ,"\\:{}[]0aZ\x00\x7f\xc3')))
    else:
        del raw[position]
    mutated = bytes(raw)
    fast = labels_module._parse_canonical_fast(mutated)
    try:
        general = general_parse(mutated)
    except (InputError, ValueError, UnicodeDecodeError, KeyError, TypeError):
        general = None
    if fast is not None:
        assert general == fast
        assert fast.canonical_bytes() == mutated
    if general is None:
        with pytest.raises(InputError):
            Label.from_bytes(mutated)
    else:
        assert Label.from_bytes(mutated) == general


@given(labels(revisions=st.just(1)))
@settings(max_examples=100, deadline=None)
def test_a_re_marking_is_a_new_version(label: Label) -> None:
    remarked = label.remark(by="KOR", review_on=date(2030, 1, 1))
    assert remarked.revision == 2
    assert remarked.supersedes == label.digest()
    assert remarked.marker == "KOR"
    # A re-marking is a label-v2, whatever the version it supersedes: no content digest.
    assert remarked.content_digest is None and remarked.format == "gsomia/label-v2"
    assert b"content_digest" not in remarked.canonical_bytes()
    assert Label.from_bytes(remarked.canonical_bytes()) == remarked
    assert remarked.digest() != label.digest()
    assert label.revision == 1


def test_escapes_in_the_purpose_are_canonical() -> None:
    base = {
        "item_id": "0" * 32,
        "agreement_id": "tisa",
        "agreement_version": "2014",
        "originator": "JPN",
        "level": "JPN:HI",
        "equivalents": (),
        "releasable_to": (),
        "topic": "nk-missile",
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
        "review_on": date(2027, 1, 1),
        "content_digest": "sha256:" + "0" * 64,
    }
    label = Label(**base, purpose='quote " backslash \\ newline \n bell \x07 end')  # type: ignore[arg-type]
    data = label.canonical_bytes()
    assert b"\\u0007" in data and b"\\n" in data
    assert Label.from_bytes(data) == label
    for spelling in (b"\\u000a", b"\\u000A", b"\\/"):
        altered = data.replace(b"\\n", spelling)
        with pytest.raises(InputError):
            Label.from_bytes(altered)


@given(labels(), st.data())
@EXAMPLES
def test_a_cached_shape_accepts_only_canonical_values_in_its_three_slots(
    label: Label, data: st.DataObject
) -> None:
    raw = label.canonical_bytes()
    assert Label.from_bytes(raw) == label  # the label's shape is now cached
    created_at = raw.index(b'"created_at":"') + 14
    item_at = raw.index(b'"item":"') + 8
    slots = [(created_at, 26), (item_at, 32)]
    if label.content_digest is not None:
        slots.append((raw.index(b'"content_digest":"sha256:') + 25, 64))
    slot, width = data.draw(st.sampled_from(slots))
    value = data.draw(st.binary(min_size=width, max_size=width).map(bytes.hex)).encode()[:width]
    if slot == created_at:
        value = data.draw(
            st.sampled_from(
                [
                    b"2026-13-01T00:00:00.000000",
                    b"2026-02-30T00:00:00.000000",
                    b"2026-01-01T24:00:00.000000",
                    b"2026-01-01T00:00:00.00000Z",
                    b"\xd9\xa22026-01-01T00:00:00.0000",
                    b"1999-12-31T23:59:59.999999",
                ]
            )
        )
    if data.draw(st.booleans()):
        value = value.upper()
    mutated = raw[:slot] + value + raw[slot + width :]
    try:
        general = general_parse(mutated)
    except (InputError, ValueError, UnicodeDecodeError, KeyError, TypeError):
        general = None
    if general is None:
        with pytest.raises(InputError):
            Label.from_bytes(mutated)
    else:
        assert Label.from_bytes(mutated) == general
        assert Label.from_bytes(mutated).canonical_bytes() == mutated

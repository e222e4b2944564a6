"""label-v1 ↔ ADatP-4774 without loss, for every level of every scheme the agreements
know, each output checked against the 4774 label schema (``tests/data/interop``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import xmlschema

from gsomia.agreement_files import load_library
from gsomia.core.labels import Label
from gsomia.errors import InputError
from gsomia.interop import adatp4774

XSD = Path(__file__).resolve().parents[2] / "data" / "interop" / "adatp-4774-label.xsd"
SCHEMA = xmlschema.XMLSchema(XSD)


def all_levels() -> list[tuple[str, str, str]]:
    """(agreement, party, level ref) for every level of every party's scheme."""
    out = set()
    for agreement in load_library([]):
        for party in agreement.party_codes:
            for level in agreement.schemes.scheme(party):
                out.add((agreement.id, agreement.version, party, level.ref))
    return sorted(out)  # type: ignore[arg-type]


def label_for(agreement: str, version: str, party: str, ref: str, **extra: object) -> Label:
    others = [p for p in ("JPN", "KOR", "USA") if p != party]
    fields: dict[str, object] = {
        "item_id": "0" * 31 + "1",
        "agreement_id": agreement,
        "agreement_version": version,
        "originator": party,
        "level": ref,
        "equivalents": (),
        "releasable_to": tuple(others),
        "route": (party, others[1], others[0]),
        "topic": "nk-missile",
        "purpose": 'Early warning of launches ("TISA" §1)\n\tand <tracks> & more',
        "created_at": datetime(2026, 11, 28, 12, 0, 0, 123456, tzinfo=UTC),
        "review_on": date(2031, 11, 28),
        "content_digest": "sha256:" + "ab" * 32,
    }
    fields.update(extra)
    return Label(**fields)  # type: ignore[arg-type]


LEVELS = all_levels()


def test_every_scheme_of_the_shipped_agreements_is_covered() -> None:
    parties = {party for _, _, party, _ in LEVELS}
    assert {"JPN", "KOR", "USA"} <= parties and len(LEVELS) >= 10


@pytest.mark.parametrize(("agreement", "version", "party", "ref"), LEVELS)
def test_round_trip_every_level(agreement: str, version: str, party: str, ref: str) -> None:
    label = label_for(agreement, version, party, ref)
    xml = adatp4774.to_xml(label)
    SCHEMA.validate(xml.decode("utf-8"))
    back = adatp4774.from_xml(xml)
    assert back == label and back.canonical_bytes() == label.canonical_bytes()


def test_round_trip_keeps_equivalents_remarking_and_history() -> None:
    first = label_for(
        "jpn-kor-gsomia", "2016", "JPN", "JPN:GOKUHI", equivalents=(("KOR", "KOR:GUNSA_II"),)
    )
    remarked = first.remark(by="KOR")
    for label in (first, remarked):
        xml = adatp4774.to_xml(label)
        SCHEMA.validate(xml.decode("utf-8"))
        assert adatp4774.from_xml(xml) == label
    assert adatp4774.from_xml(adatp4774.to_xml(remarked)).supersedes == first.digest()


def test_a_purpose_xml_cannot_carry_is_refused_not_altered() -> None:
    label = label_for("jpn-kor-gsomia", "2016", "JPN", "JPN:HI", purpose="line\r\nbreak")
    with pytest.raises(InputError, match="control character"):
        adatp4774.to_xml(label)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda x: x.replace(b'TagName="Item"', b'TagName="Topic"'), "unexpected category"),
        (lambda x: x.replace(b"OriginatorID", b"Other"), "OriginatorID"),
        (lambda x: x.replace(b'TagName="Topic"', b'TagName="Colour"'), "unexpected category"),
        (lambda x: x.replace(b"<slab:CreationDateTime>", b"<slab:CreationDateTime>x"), "malformed"),
        (lambda x: b"<!DOCTYPE x [<!ENTITY a 'b'>]>" + x.split(b"?>", 1)[1], "document type"),
        (lambda x: x[:-40], "well-formed"),
    ],
)
def test_malformed_4774_labels_are_refused_with_the_reason(
    edit: Callable[[bytes], bytes], message: str
) -> None:
    xml = adatp4774.to_xml(label_for("jpn-kor-gsomia", "2016", "JPN", "JPN:GOKUHI"))
    with pytest.raises(InputError, match=message):
        adatp4774.from_xml(edit(xml))

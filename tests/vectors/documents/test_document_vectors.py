"""The signed workflow documents and the shared warning against their committed vectors.

Each vector is built again by ``generate.py`` (the same bytes: fixed inputs, deterministic
Ed25519), its signature is checked as document-v1 by the receiving party's keyring, and its
body is read back by the code that receives it. The first spelling of the warning marker is
still read.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gsomia import crypto
from gsomia.agreement_files import load_library
from gsomia.core.agreements import EventKind
from gsomia.core.canonical import canonical_json, parse_canonical
from gsomia.errors import InputError, IntegrityError
from gsomia.formats.messages import Kind, decode
from gsomia.records import AssuranceRecord, ConsentRecord
from gsomia.services.acts._consents import check_answer
from gsomia.services.acts.notes import _event_from
from gsomia.services.plumbing.workflow import check_id
from gsomia.warning.tracking.sharing import (
    WARNING_FORMAT,
    WARNING_FORMAT_FIRST_SPELLING,
    SharedWarning,
)
from tests.support.vectors import load_generator

HERE = Path(__file__).parent
generate = load_generator(HERE, "document_vectors")

SIGNED = [
    "consent-v1",
    "reclassification-v1",
    "note-v1",
    "amendment-proposal-v1",
    "amendment-acceptance-v1",
    "assurance-v1",
]
AGREEMENT = load_library([]).get("jpn-kor-gsomia")


def load(name: str) -> Any:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


def opened(vector: dict[str, Any]) -> dict[str, Any]:
    """The body of the vector's document, verified by the other party, as ``open_signed``
    reads it."""
    reader = "KOR" if vector["signer"] == "JPN" else "JPN"
    blob = bytes.fromhex(vector["document_hex"])
    doc = crypto.open_document(
        keyring=generate.keyrings()[reader], blob=blob, agreement_id=vector["agreement_id"]
    )
    assert doc.signer == vector["signer"]
    body = parse_canonical(doc.body, what=vector["format"])
    assert isinstance(body, dict) and body["format"] == vector["format"]
    return body


def test_the_files_are_what_the_generator_writes() -> None:
    built = generate.build()
    assert sorted(built) == sorted(p.name for p in HERE.glob("*.json"))
    for name, value in built.items():
        assert load(name) == json.loads(json.dumps(value)), name


@pytest.mark.parametrize("name", SIGNED)
def test_a_signed_document_is_canonical_json_signed_as_document_v1(name: str) -> None:
    vector = load(f"{name}.json")
    assert vector["format"] == f"gsomia/{name}"
    assert canonical_json(vector["body"]).decode() == vector["canonical"]
    assert opened(vector) == vector["body"]


@pytest.mark.parametrize("name", SIGNED)
def test_one_changed_byte_of_a_signed_document_is_refused(name: str) -> None:
    vector = load(f"{name}.json")
    blob = bytearray.fromhex(vector["document_hex"])
    blob[len(blob) // 2] ^= 0x01
    with pytest.raises(IntegrityError):
        opened({**vector, "document_hex": blob.hex()})


def test_the_consent_vector_answers_what_was_asked() -> None:
    body = opened(load("consent-v1.json"))
    asked = ConsentRecord(
        id=body["request"],
        state="requested",
        role="requester",
        request=body["request"],
        item=body["item"],
        kind=body["kind"],
        to_party=body["to_party"],
        reason="exercise",
        originator="JPN",
        requester="KOR",
        asked_at="2026-11-27T09:00:00+00:00",
    )
    check_answer(body, asked, requester="KOR")
    with pytest.raises(InputError):
        check_answer(body, asked, requester="USA")


def test_the_reclassification_vector_names_levels_of_the_originator() -> None:
    body = opened(load("reclassification-v1.json"))
    check_id(body["notice"], what="notice")
    for field in ("previous_level", "level"):
        assert AGREEMENT.schemes.parse(body[field], party=body["originator"]).party == "JPN"


def test_the_note_vector_is_the_event_the_receiver_records() -> None:
    body = opened(load("note-v1.json"))
    event = _event_from(body, agreement=AGREEMENT, sender="JPN")
    assert event.kind is EventKind.NOTICE and event.id == body["event_id"]
    with pytest.raises(InputError):
        _event_from(body, agreement=AGREEMENT, sender="KOR")


@pytest.mark.parametrize("name", ["amendment-proposal-v1", "amendment-acceptance-v1"])
def test_the_amendment_vectors_come_from_their_signer(name: str) -> None:
    vector = load(f"{name}.json")
    body = opened(vector)
    check_id(body["proposal"], what="proposal")
    assert body["by"] == vector["signer"] and body["agreement"] == AGREEMENT.id


def test_the_assurance_vector_is_a_record_the_originator_keeps() -> None:
    body = opened(load("assurance-v1.json"))
    kept = {k: v for k, v in body.items() if k not in ("format", "assurance", "role")}
    record = AssuranceRecord.from_body(
        record_id=body["assurance"], state="received", body={**kept, "role": "originator"}
    )
    assert record.party == "KOR"
    assert AGREEMENT.schemes.parse(record.level).party == "JPN"


def test_the_warning_vector_reads_back_and_writes_the_one_spelling() -> None:
    wire = load("warning-v1.json")["wire"]
    assert wire["format"] == WARNING_FORMAT == "gsomia/warning-v1"
    assert SharedWarning.from_dict(wire).to_dict() == wire


def test_the_first_spelling_of_the_warning_marker_is_still_read() -> None:
    wire = load("warning-v1.json")["wire"]
    old = {**wire, "format": WARNING_FORMAT_FIRST_SPELLING}
    assert SharedWarning.from_dict(old).to_dict() == wire
    for other in ("gsomia/warning-v2", "gsomia_warning-v1", None):
        with pytest.raises(InputError):
            SharedWarning.from_dict({**wire, "format": other})


@pytest.mark.parametrize("name", ["message-v1", "message-v2"])
def test_a_message_vector_decodes_for_its_recipient(name: str) -> None:
    vector = load(f"{name}.json")
    rings = generate.keyrings()
    blob = bytes.fromhex(vector["message_hex"])
    sent_at = datetime.fromisoformat(vector["sent_at"])
    message = decode(rings["KOR"], blob, now=sent_at)
    assert (message.id, message.kind, message.sender) == (vector["id"], Kind(vector["kind"]), "JPN")
    assert message.body == vector["body"]
    assert [p.hex() for p in message.parts] == vector["parts_hex"]
    if name == "message-v2":  # "GSM" 0x02, u32 document length, the document, the parts
        assert blob[:4] == b"GSM\x02"
        blob = blob[8 : 8 + int.from_bytes(blob[4:8], "big")]
    signed = crypto.peek_document(blob)
    assert json.loads(signed.body)["format"] == vector["format"]
    blob = bytes.fromhex(vector["message_hex"])
    with pytest.raises(IntegrityError):
        decode(rings["JPN"], blob, now=sent_at)  # addressed to KOR
    with pytest.raises(IntegrityError):
        decode(rings["KOR"], blob, now=sent_at + timedelta(days=2))  # outside the window


def test_a_changed_part_of_a_message_v2_is_refused() -> None:
    blob = bytearray.fromhex(load("message-v2.json")["message_hex"])
    blob[-1] ^= 0x01
    with pytest.raises(IntegrityError):
        decode(generate.keyrings()["KOR"], bytes(blob))


def test_the_consent_decision_message_carries_the_consent_vector() -> None:
    body = load("message-v1.json")["body"]
    document = base64.b64decode(body["document"])
    assert document.hex() == load("consent-v1.json")["document_hex"]

"""Spec vectors for the ledger: RFC 6962 trees, signed notes, ledger-entry-v1, checkpoints."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gsomia.crypto.signed_notes import parse_cosigner_key, parse_signer_key, parse_verifier_key
from gsomia.errors import IntegrityError
from gsomia.ledger import merkle
from gsomia.ledger.checkpoint import (
    Checkpoint,
    SignedNote,
    cosign_checkpoint,
    cosignature_timestamp,
    open_checkpoint,
    open_note,
    sign_checkpoint,
)
from gsomia.ledger.entries import Actor, LedgerEntry
from gsomia.ledger.proofs import check_proof_document
from gsomia.ledger.tiles import CompactRange, TileProofs, integrate

HERE = Path(__file__).parent


def load(name: str) -> Any:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


RFC = load("rfc6962.json")
LEAVES = [merkle.leaf_hash(bytes.fromhex(x)) for x in RFC["leaves_hex"]]


def h(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


def test_roots_of_every_prefix_match_the_published_reference_tree() -> None:
    for size, expected in enumerate(RFC["roots_by_size_hex"]):
        assert merkle.root(LEAVES[:size]).hex() == expected


def mth(data: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 written out recursively: an independent oracle for the roots."""
    import hashlib

    if not data:
        return hashlib.sha256(b"").digest()
    if len(data) == 1:
        return hashlib.sha256(b"\x00" + data[0]).digest()
    k = 1 << ((len(data) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + mth(data[:k]) + mth(data[k:])).digest()


def test_the_recursive_definition_agrees_with_the_published_roots() -> None:
    data = [bytes.fromhex(x) for x in RFC["leaves_hex"]]
    assert [mth(data[:n]).hex() for n in range(9)] == RFC["roots_by_size_hex"]


@pytest.mark.parametrize("case", RFC["inclusion"], ids=lambda c: f"{c['index']}of{c['tree_size']}")
def test_inclusion_proofs_match_and_verify(case: dict[str, Any]) -> None:
    size, index = case["tree_size"], case["index"]
    root = bytes.fromhex(RFC["roots_by_size_hex"][size])
    assert merkle.inclusion_proof(LEAVES[:size], index) == h(case["proof"])
    merkle.verify_inclusion(
        leaf_hash=LEAVES[index], index=index, tree_size=size, proof=h(case["proof"]), root=root
    )


@pytest.mark.parametrize(
    "case", RFC["consistency"], ids=lambda c: f"{c['old_size']}to{c['new_size']}"
)
def test_consistency_proofs_match_and_verify(case: dict[str, Any]) -> None:
    old, new = case["old_size"], case["new_size"]
    roots = RFC["roots_by_size_hex"]
    assert merkle.consistency_proof(LEAVES[:new], old) == h(case["proof"])
    merkle.verify_consistency(
        old_size=old,
        new_size=new,
        old_root=bytes.fromhex(roots[old]),
        new_root=bytes.fromhex(roots[new]),
        proof=h(case["proof"]),
    )


def test_tiles_give_the_same_roots_and_proofs_as_the_reference() -> None:
    result = integrate(CompactRange(), LEAVES)
    tiles = {(0, 0): b"".join(LEAVES)}
    proofs = TileProofs(lambda level, index: tiles.get((level, index), b""))
    assert result.compact.root().hex() == RFC["roots_by_size_hex"][8]
    for case in RFC["inclusion"]:
        assert proofs.inclusion_proof(case["index"], case["tree_size"]) == h(case["proof"])
    for case in RFC["consistency"]:
        assert proofs.consistency_proof(case["old_size"], case["new_size"]) == h(case["proof"])


NOTE = load("signed-note.json")


def test_go_sumdb_note_example_is_reproduced_byte_for_byte() -> None:
    vector = NOTE["ed25519"]
    signer = parse_signer_key(vector["signer_key"])
    verifier = parse_verifier_key(vector["verifier_key"])
    assert signer.verifier().key_string() == vector["verifier_key"]
    signature = signer.sign(vector["text"].encode())
    assert SignedNote.parse(vector["note"]).signatures[0].signature == signature
    assert open_note(SignedNote.parse(vector["note"]), [verifier]) == [verifier]
    tampered = vector["note"].replace("cryptography", "cryptographY")
    with pytest.raises(IntegrityError):
        open_note(SignedNote.parse(tampered), [verifier])


@pytest.mark.parametrize("case", NOTE["verifier_keys"], ids=lambda c: c["key"].split("+")[0])
def test_published_verifier_keys_parse_with_their_key_hash(case: dict[str, Any]) -> None:
    verifier = parse_verifier_key(case["key"])
    assert verifier.signature_type == case["type"]
    assert verifier.key_string() == case["key"]


def test_published_cosignature_carries_its_timestamp() -> None:
    raw = base64.b64decode(NOTE["cosignature_timestamp"]["signature"])
    assert raw[:4].hex() == NOTE["cosignature_timestamp"]["key_hash"]
    assert cosignature_timestamp(raw[4:]) == NOTE["cosignature_timestamp"]["timestamp"]


ENTRIES = load("ledger-entry-v1.json")


@pytest.mark.parametrize("case", ENTRIES["entries"], ids=lambda c: c["fields"]["event"])
def test_ledger_entries_encode_to_the_vector_bytes(case: dict[str, Any]) -> None:
    f = case["fields"]
    entry = LedgerEntry(
        agreement_id=f["agreement_id"],
        event=f["event"],
        item_id=f["item_id"],
        rule_ids=tuple(f["rule_ids"]),
        actor=Actor(**f["actor"]),
        at=datetime.fromisoformat(f["at"]),
        details=f["details"],
    )
    data = entry.to_bytes()
    assert data == case["bytes_utf8"].encode()
    assert merkle.leaf_hash(data).hex() == case["leaf_hash_hex"]
    assert LedgerEntry.from_bytes(data) == entry


def test_the_vector_entries_make_the_vector_root() -> None:
    leaves = [bytes.fromhex(c["leaf_hash_hex"]) for c in ENTRIES["entries"]]
    assert merkle.root(leaves).hex() == ENTRIES["tree_root_hex"]


CHECKPOINT = load("checkpoint.json")


def test_checkpoint_vector_is_signed_and_cosigned_byte_for_byte() -> None:
    v = CHECKPOINT
    signer = parse_signer_key(v["log"]["signer_key"])
    cosigner = parse_cosigner_key(v["witness"]["signer_key"])
    assert signer.verifier().key_string() == v["log"]["verifier_key"]
    assert cosigner.verifier().key_string() == v["witness"]["verifier_key"]
    checkpoint = Checkpoint(
        origin=v["checkpoint"]["origin"],
        size=v["checkpoint"]["size"],
        root=bytes.fromhex(v["checkpoint"]["root_hex"]),
    )
    assert checkpoint.body() == v["checkpoint"]["body"]
    note = sign_checkpoint(checkpoint, signer)
    assert note.to_text() == v["signed_note"]
    line = cosign_checkpoint(note, cosigner, timestamp=v["cosignature"]["timestamp"]).line()
    assert line == v["cosignature"]["line"]
    assert (
        note.with_signatures([SignedNote.parse(v["cosigned_note"]).signatures[1]]).to_text()
        == (v["cosigned_note"])
    )


def test_checkpoint_vector_signatures_check_with_the_raw_ed25519_keys() -> None:
    """The signatures verify with ``cryptography`` directly, over the messages the spec says."""
    v = CHECKPOINT
    note = SignedNote.parse(v["cosigned_note"])
    log_key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(v["log"]["seed_hex"]))
    witness_key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(v["witness"]["seed_hex"]))
    log_key.public_key().verify(note.signatures[0].signature, v["checkpoint"]["body"].encode())
    witness_sig = note.signatures[1].signature
    assert int.from_bytes(witness_sig[:8], "big") == v["cosignature"]["timestamp"]
    witness_key.public_key().verify(witness_sig[8:], v["cosignature"]["message"].encode())
    verified = open_checkpoint(
        v["cosigned_note"],
        verifiers=[
            parse_verifier_key(v["log"]["verifier_key"]),
            parse_verifier_key(v["witness"]["verifier_key"]),
        ],
        quorum=1,
    )
    assert verified.cosigners == (("kor.gsomia.example/witness", v["cosignature"]["timestamp"]),)


PROOF = load("inclusion-proof-v1.json")


def proof_verifiers() -> list[Any]:
    return [
        parse_verifier_key(PROOF["log_verifier_key"]),
        parse_verifier_key(PROOF["witness_verifier_key"]),
    ]


def test_inclusion_proof_vector_checks_offline_with_the_log_and_witness_keys() -> None:
    document = PROOF["document"]
    assert document["format"] == "gsomia/inclusion-proof-v1"
    assert document["checkpoint"] == CHECKPOINT["cosigned_note"]
    checked = check_proof_document(json.dumps(document), verifiers=proof_verifiers(), quorum=1)
    assert checked.tree_size == CHECKPOINT["checkpoint"]["size"]
    assert checked.root.hex() == ENTRIES["tree_root_hex"]
    assert [i for i, _ in checked.entries] == [0, 1]
    expected = [bytes(c["bytes_utf8"], "utf-8") for c in ENTRIES["entries"][:2]]
    assert [e.to_bytes() for _, e in checked.entries] == expected


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d.update(tree_size=d["tree_size"] + 1),
        lambda d: d.update(item="f" * 32),
        lambda d: d["entries"][0].update(index=1),
        lambda d: d["entries"][1]["proof"].reverse(),
        lambda d: d.update(format="gsomia/inclusion-proof-v2"),
    ],
)
def test_an_altered_inclusion_proof_vector_is_refused(tamper: Any) -> None:
    document = json.loads(json.dumps(PROOF["document"]))
    tamper(document)
    with pytest.raises(IntegrityError):
        check_proof_document(document, verifiers=proof_verifiers(), quorum=1)


def test_the_inclusion_proof_vector_needs_its_witness_for_a_quorum() -> None:
    with pytest.raises(IntegrityError):
        check_proof_document(PROOF["document"], verifiers=proof_verifiers()[:1], quorum=1)

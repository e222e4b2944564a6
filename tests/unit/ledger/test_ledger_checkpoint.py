"""Checkpoints and signed notes: format, parse, sign, verify, and the Ed25519 note keys."""

from __future__ import annotations

import pytest

from gsomia.crypto.signed_notes import (
    Ed25519CosignatureVerifier,
    generate_signer_key,
    parse_cosigner_key,
    parse_signer_key,
    parse_verifier_key,
)
from gsomia.errors import InputError, IntegrityError
from gsomia.ledger.checkpoint import (
    Checkpoint,
    NoteSignature,
    SignedNote,
    cosign_checkpoint,
    key_hash,
    open_checkpoint,
    open_note,
    sign_checkpoint,
)

ORIGIN = "jpn.gsomia.example/ledger"
ROOT = bytes(range(32))
SKEY, VKEY = generate_signer_key(ORIGIN, seed=b"\x07" * 32)
WKEY, _ = generate_signer_key("kor.gsomia.example/witness", seed=b"\x08" * 32)
SIGNER = parse_signer_key(SKEY)
COSIGNER = parse_cosigner_key(WKEY)
VERIFIERS = [parse_verifier_key(VKEY), COSIGNER.verifier()]


def signed(size: int = 5) -> SignedNote:
    return sign_checkpoint(Checkpoint(origin=ORIGIN, size=size, root=ROOT), SIGNER)


def test_body_is_three_lines_and_parses_back() -> None:
    checkpoint = Checkpoint(origin=ORIGIN, size=0, root=ROOT)
    assert checkpoint.body() == f"{ORIGIN}\n0\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
    assert Checkpoint.parse(checkpoint.body()) == checkpoint
    with_ext = Checkpoint.parse(checkpoint.body() + "extension\n")
    assert with_ext.extensions == ("extension",)


@pytest.mark.parametrize(
    "text",
    [
        f"{ORIGIN}\n5\n",
        f"{ORIGIN}\n05\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        f"{ORIGIN}\n-1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        f"{ORIGIN}\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        f"{ORIGIN}\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n",
        f"{ORIGIN}\n5\nnot base64!\n",
        "has space\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        f"{ORIGIN}\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n",
    ],
    ids=range(8),
)
def test_malformed_bodies_are_refused(text: str) -> None:
    with pytest.raises(IntegrityError):
        Checkpoint.parse(text)


def test_signed_note_round_trips_and_verifies() -> None:
    note = signed()
    text = note.to_text()
    assert text.startswith(f"{ORIGIN}\n5\n") and "\n\n\u2014 " + ORIGIN + " " in text
    assert SignedNote.parse(text) == note
    assert SignedNote.parse(text.encode()) == note
    verified = open_checkpoint(text, verifiers=VERIFIERS, origin=ORIGIN)
    assert verified.checkpoint.size == 5 and verified.log_key == ORIGIN and verified.cosigners == ()


def test_cosignatures_are_counted_towards_a_quorum() -> None:
    note = signed()
    cosig = cosign_checkpoint(note, COSIGNER, timestamp=1_800_000_000)
    both = note.with_signatures([cosig, cosig])
    assert len(both.signatures) == 2
    verified = open_checkpoint(both.to_text(), verifiers=VERIFIERS, quorum=1)
    assert verified.cosigners == (("kor.gsomia.example/witness", 1_800_000_000),)
    with pytest.raises(IntegrityError):
        open_checkpoint(note.to_text(), verifiers=VERIFIERS, quorum=1)


def test_unknown_signers_are_ignored_but_a_known_bad_one_fails_the_note() -> None:
    note = signed()
    other_skey, _ = generate_signer_key("someone.else/log", seed=b"\x09" * 32)
    other = parse_signer_key(other_skey)
    stranger = NoteSignature(name=other.name, key_hash=other.key_hash, signature=other.sign(b"x"))
    assert open_note(note.with_signatures([stranger]), VERIFIERS)
    forged = NoteSignature(name=ORIGIN, key_hash=SIGNER.key_hash, signature=b"\x00" * 64)
    with pytest.raises(IntegrityError):
        open_note(SignedNote(text=note.text, signatures=(forged,)), VERIFIERS)
    with pytest.raises(IntegrityError):
        open_note(SignedNote(text=note.text, signatures=(stranger,)), VERIFIERS)


def test_a_log_signature_must_come_from_the_origins_own_key() -> None:
    impostor_skey, impostor_vkey = generate_signer_key(
        "kor.gsomia.example/ledger", seed=b"\x0a" * 32
    )
    impostor = parse_signer_key(impostor_skey)
    with pytest.raises(IntegrityError):
        sign_checkpoint(Checkpoint(origin=ORIGIN, size=1, root=ROOT), impostor)
    body = Checkpoint(origin=ORIGIN, size=1, root=ROOT).body()
    sig = NoteSignature(
        name=impostor.name, key_hash=impostor.key_hash, signature=impostor.sign(body.encode())
    )
    note = SignedNote(text=body, signatures=(sig,))
    with pytest.raises(IntegrityError):
        open_checkpoint(note.to_text(), verifiers=[*VERIFIERS, parse_verifier_key(impostor_vkey)])
    with pytest.raises(IntegrityError):
        open_checkpoint(signed().to_text(), verifiers=VERIFIERS, origin="kor.gsomia.example/ledger")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t.replace("\u2014", "-"),
        lambda t: t.replace("\n\n", "\n"),
        lambda t: t[:-1],
        lambda t: t + "\n",
        lambda t: t.replace(ORIGIN + " ", ORIGIN + "  "),
        lambda t: t.replace("\n5\n", "\n6\n"),
        lambda t: t.replace("\n5\n", "\n5\t\n"),
        lambda t: t[: t.rindex(" ") + 1] + "!!!!\n",
    ],
    ids=range(8),
)
def test_mangled_notes_are_refused(mangle: object) -> None:
    text = mangle(signed().to_text())  # type: ignore[operator]
    with pytest.raises(IntegrityError):
        open_checkpoint(text, verifiers=VERIFIERS)


def test_too_many_signatures_are_refused() -> None:
    note = signed()
    lines = "".join(
        NoteSignature(name=f"w{i}", key_hash=i, signature=b"s").line() for i in range(65)
    )
    with pytest.raises(IntegrityError):
        SignedNote.parse(note.to_text() + lines)


def test_key_strings_round_trip_and_check_their_hash() -> None:
    verifier = parse_verifier_key(VKEY)
    assert verifier.key_string() == VKEY
    assert verifier.key_hash == key_hash(ORIGIN, 1, verifier.public_key)
    assert isinstance(
        parse_verifier_key(COSIGNER.verifier().key_string()), Ed25519CosignatureVerifier
    )
    name, hash_hex, blob = VKEY.split("+", 2)
    for bad in (
        f"{name}+00000000+{blob}",
        f"{name}+{hash_hex}",
        f"{name}+{hash_hex}+!!!",
        f"{name}+{hash_hex}+AwEB",
        f"bad name+{hash_hex}+{blob}",
        "PRIVATE+KEY+x",
        SKEY.replace("PRIVATE+KEY", "PUBLIC+KEY"),
    ):
        with pytest.raises(InputError):
            parse_verifier_key(bad) if not bad.startswith(
                ("PRIVATE", "PUBLIC")
            ) else parse_signer_key(bad)


def test_a_cosignature_does_not_verify_as_a_log_signature_or_for_another_time() -> None:
    note = signed()
    cosig = cosign_checkpoint(note, COSIGNER, timestamp=100)
    wrong_time = NoteSignature(
        name=cosig.name,
        key_hash=cosig.key_hash,
        signature=(101).to_bytes(8, "big") + cosig.signature[8:],
    )
    with pytest.raises(IntegrityError):
        open_note(
            SignedNote(text=note.text, signatures=(note.signatures[0], wrong_time)), VERIFIERS
        )
    with pytest.raises(IntegrityError):
        COSIGNER.verifier().verify(note.text.encode(), note.signatures[0].signature)

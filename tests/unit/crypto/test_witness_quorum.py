"""Crypto review M1 and L8: a witness quorum counts distinct witness keys of other parties,
and each of a node's Ed25519 keys serves one purpose (binding, document, log, witness)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gsomia import crypto
from gsomia.crypto import KeyKind
from gsomia.crypto._documents import open_document, sign_document
from gsomia.crypto.signed_notes import (
    Ed25519CosignatureVerifier,
    node_note_keys,
    partner_note_verifiers,
    witness_name,
)
from gsomia.errors import IntegrityError
from gsomia.ledger.checkpoint import (
    Checkpoint,
    SignedNote,
    cosign_checkpoint,
    open_checkpoint,
    sign_checkpoint,
)
from tests.support.crypto import JK, NOW, connect, keyring_for, seed

WHEN = int(datetime(2026, 11, 28, 12, tzinfo=UTC).timestamp())


def origin(party: str) -> str:
    return f"gsomia.node/{party.lower()}"


def purposeful(party: str) -> crypto.Keyring:
    """A keyring with a key of its own for every purpose (as generate_keyring makes)."""
    return crypto.Keyring.from_seeds(
        party=party,
        created_at=NOW,
        signing_seed=seed(party, "signing"),
        encryption_seed=seed(party, "encryption"),
        at_rest_key=seed(party, "at-rest"),
        purpose_seeds={kind: seed(party, kind.value) for kind in crypto._keys.PURPOSES},
    )


@pytest.fixture(params=["purpose keys", "older keyrings"])
def rings(request: pytest.FixtureRequest) -> dict[str, crypto.Keyring]:
    make = purposeful if request.param == "purpose keys" else keyring_for
    return connect({p: make(p) for p in ("JPN", "KOR", "USA")})


def trusted_by(rings: dict[str, crypto.Keyring], party: str) -> list[object]:
    partners = (key for _, key in rings[party].partners)
    return partner_note_verifiers(partners, name_of=origin)  # type: ignore[return-value]


def checkpoint_of(rings: dict[str, crypto.Keyring], party: str) -> SignedNote:
    log, _ = node_note_keys(rings[party], name=origin(party))
    return sign_checkpoint(Checkpoint(origin=origin(party), size=5, root=bytes(32)), log)


def cosigned(rings: dict[str, crypto.Keyring], note: SignedNote, *by: str) -> str:
    lines = ""
    for party in by:
        _, witness = node_note_keys(rings[party], name=origin(party))
        lines += cosign_checkpoint(note, witness, timestamp=WHEN).line()
    return note.to_text() + lines


def test_a_repeated_signature_line_is_refused(rings: dict[str, crypto.Keyring]) -> None:
    note = checkpoint_of(rings, "JPN")
    _, kor_witness = node_note_keys(rings["KOR"], name=origin("KOR"))
    line = cosign_checkpoint(note, kor_witness, timestamp=WHEN).line()
    for text in (note.to_text() + line + line, note.to_text() + note.signatures[0].line()):
        with pytest.raises(IntegrityError, match="repeats"):
            SignedNote.parse(text)
        with pytest.raises(IntegrityError):
            open_checkpoint(text, verifiers=trusted_by(rings, "USA"), quorum=1)  # type: ignore[arg-type]


@pytest.mark.parametrize("times", [1, 2, 3])
def test_a_log_cannot_witness_itself(rings: dict[str, crypto.Keyring], times: int) -> None:
    """Crypto review M1 (d12): JPN cosigns its own checkpoint; KOR's verifiers, built as
    the node builds them, trust JPN's witness key (JPN witnesses USA) yet count nothing."""
    note = checkpoint_of(rings, "JPN")
    text = cosigned(rings, note, "JPN")
    verified = open_checkpoint(text, verifiers=trusted_by(rings, "KOR"), origin=origin("JPN"))  # type: ignore[arg-type]
    assert verified.cosigners == ()
    with pytest.raises(IntegrityError, match="independent"):
        open_checkpoint(text, verifiers=trusted_by(rings, "KOR"), quorum=times)  # type: ignore[arg-type]


def test_distinct_witnesses_of_other_parties_make_the_quorum(
    rings: dict[str, crypto.Keyring],
) -> None:
    note = checkpoint_of(rings, "JPN")
    text = cosigned(rings, note, "KOR", "USA", "JPN")
    verified = open_checkpoint(
        text, verifiers=trusted_by(rings, "USA") + trusted_by(rings, "KOR"), quorum=2
    )  # type: ignore[arg-type]
    assert [name for name, _ in verified.cosigners] == [
        witness_name(origin("KOR")),
        witness_name(origin("USA")),
    ]
    with pytest.raises(IntegrityError):
        open_checkpoint(
            text, verifiers=trusted_by(rings, "USA") + trusted_by(rings, "KOR"), quorum=3
        )  # type: ignore[arg-type]


def test_one_witness_key_trusted_under_two_names_counts_once(
    rings: dict[str, crypto.Keyring],
) -> None:
    note = checkpoint_of(rings, "JPN")
    _, kor_witness = node_note_keys(rings["KOR"], name=origin("KOR"))
    public = kor_witness.verifier().public_key
    alias = Ed25519CosignatureVerifier(name="another.example/witness", public_key=public)
    from gsomia.crypto.signed_notes import Ed25519CosignatureSigner

    alias_signer = Ed25519CosignatureSigner(
        name=alias.name,
        private_key=kor_witness._key,  # type: ignore[attr-defined]
    )
    text = (
        cosigned(rings, note, "KOR") + cosign_checkpoint(note, alias_signer, timestamp=WHEN).line()
    )
    verifiers = [*trusted_by(rings, "USA"), alias]
    assert len(open_checkpoint(text, verifiers=verifiers, quorum=1).cosigners) == 1  # type: ignore[arg-type]
    with pytest.raises(IntegrityError):
        open_checkpoint(text, verifiers=verifiers, quorum=2)  # type: ignore[arg-type]


def test_each_purpose_has_its_own_key_registered_as_such() -> None:
    ring = purposeful("JPN")
    kinds = {key.kind for key in ring.public_keys()}
    assert kinds == {
        KeyKind.SIGNING,
        KeyKind.ENCRYPTION,
        KeyKind.DOCUMENT,
        KeyKind.LOG,
        KeyKind.WITNESS,
    }
    publics = [ring.newest(kind).public for kind in crypto._keys.SIGNING_KINDS]
    assert len(set(publics)) == 4
    exported = crypto.import_public_keys(crypto.export_public_keys(ring))
    assert {(k.kind, k.key_id) for k in exported} == {
        (k.kind, k.key_id) for k in ring.public_keys()
    }
    fresh = crypto.generate_keyring(party="KOR", now=NOW)
    assert all(fresh.has_own(kind) for kind in KeyKind)


def test_a_key_of_one_purpose_does_not_sign_for_another() -> None:
    """Crypto review L8: with per-purpose keys registered, a document signed with the
    binding key, or a checkpoint signed with the witness key, is refused."""
    rings = connect({p: purposeful(p) for p in ("JPN", "KOR", "USA")})
    jpn, kor = rings["JPN"], rings["KOR"]
    genuine = sign_document(keyring=jpn, agreement_id=JK, body=b"receipt")
    assert open_document(keyring=kor, blob=genuine).body == b"receipt"
    binding_key = jpn.newest(KeyKind.SIGNING)
    head = genuine[:-64].replace(jpn.newest(KeyKind.DOCUMENT).key_id, binding_key.key_id)
    forged = head + jpn._sign(head, KeyKind.SIGNING)
    with pytest.raises(IntegrityError):
        open_document(keyring=kor, blob=forged)
    # The witness key presented as JPN's log key is not trusted as a log key.
    _, witness = node_note_keys(jpn, name=origin("JPN"))
    from gsomia.crypto.signed_notes import Ed25519NoteSigner

    as_log = Ed25519NoteSigner(name=origin("JPN"), private_key=witness._key)  # type: ignore[attr-defined]
    note = sign_checkpoint(Checkpoint(origin=origin("JPN"), size=1, root=bytes(32)), as_log)
    with pytest.raises(IntegrityError):
        open_checkpoint(note.to_text(), verifiers=trusted_by(rings, "KOR"))  # type: ignore[arg-type]
    # An older partner (no document key registered) is still read through its signing key.
    older = connect({"JPN": keyring_for("JPN"), "KOR": purposeful("KOR"), "USA": purposeful("USA")})
    blob = sign_document(keyring=older["JPN"], agreement_id=JK, body=b"note")
    assert open_document(keyring=older["KOR"], blob=blob).body == b"note"

"""The format vectors, checked twice.

1. gsomia reproduces every vector byte for byte from its inputs (the explicit ``*_at``
   forms pin every random input; an envelope-v2's HPKE encapsulations are the one random
   input no form can pin) and opens what it describes. The label-v1, envelope-v1,
   binding-v1 and item-key-v1 vectors are of items sealed before label-v2: gsomia no longer
   makes them, and checks that they still parse, verify and open.
2. An independent decoder, written from ``docs/formats/`` with only pyca/cryptography's
   primitives (its HPKE included), hashlib and struct (no gsomia.crypto code), recovers the
   same keys and plaintexts and checks the signatures and Merkle roots. If the docs and the
   code drift apart, part 2 fails.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import struct
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gsomia import crypto
from gsomia.core.labels import Label
from gsomia.errors import InputError

HERE = Path(__file__).resolve().parent
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def load(name: str) -> dict[str, Any]:
    return json.loads((HERE / f"{name}.json").read_text("utf-8"))  # type: ignore[no-any-return]


LABELS = load("label-v1")
ENVELOPES = load("envelope-v1")
BINDINGS = load("binding-v1")
FRAMES = load("frame-v1")
ITEM_KEYS = load("item-key-v1")
KEYRINGS = load("keyring-v1")
LABELS_V2 = load("label-v2")
ENVELOPES_V2 = load("envelope-v2")
BINDINGS_V2 = load("binding-v2")


def keyring(party: str) -> crypto.Keyring:
    rings = {}
    for name, s in ENVELOPES["parties"].items():
        rings[name] = crypto.Keyring.from_seeds(
            party=name,
            created_at=NOW,
            signing_seed=bytes.fromhex(s["signing_seed"]),
            encryption_seed=bytes.fromhex(s["encryption_seed"]),
            at_rest_key=bytes.fromhex(s["at_rest_key"]),
        )
    partner = "KOR" if party == "JPN" else "JPN"
    return rings[party].register(
        agreement_id=ENVELOPES["agreement"], keys=rings[partner].public_keys()
    )


def label_from_fields(fields: dict[str, Any]) -> Label:
    raw = {
        "format": "gsomia/label-v1" if "content_digest" in fields else "gsomia/label-v2",
        "item": fields["item_id"],
        "agreement": {"id": fields["agreement_id"], "version": fields["agreement_version"]},
        **{
            k: v
            for k, v in fields.items()
            if k not in ("item_id", "agreement_id", "agreement_version")
        },
        "equivalents": dict(fields["equivalents"]),
    }
    return Label.from_dict(raw)


# Part 1: gsomia reproduces the vectors.


@pytest.mark.parametrize(
    "vector", LABELS["labels"] + LABELS_V2["labels"], ids=lambda v: v["digest"][7:15]
)
def test_label_vectors(vector: dict[str, Any]) -> None:
    label = label_from_fields(vector["fields"])
    canonical = vector["canonical"].encode("utf-8")
    assert label.canonical_bytes() == canonical
    assert label.digest() == vector["digest"] == "sha256:" + hashlib.sha256(canonical).hexdigest()
    assert Label.from_bytes(canonical) == label


@pytest.mark.parametrize("index", range(len(ENVELOPES_V2["items"])))
def test_envelope_v2_vectors(index: int) -> None:
    vector = ENVELOPES_V2["items"][index]
    label = Label.from_bytes(vector["label_canonical"].encode())
    envelope = crypto.seal_at(
        keyring=keyring("JPN"),
        plaintext=vector["content"].encode(),
        label=label,
        holders=vector["holders"],
        data_key=bytes.fromhex(vector["data_key"]),
        nonce=bytes.fromhex(vector["nonce"]),
        wrap_nonces=[bytes.fromhex(vector[f"wrap_nonce_{p}"]) for p in vector["holders"]],
    )
    wire = bytes.fromhex(vector["envelope"])
    parsed = crypto.Envelope.from_bytes(wire)
    assert parsed.to_bytes() == wire
    assert (envelope.label, envelope.nonce, envelope.ciphertext, envelope.commitment) == (
        parsed.label,
        parsed.nonce,
        parsed.ciphertext,
        parsed.commitment,
    )
    assert envelope.commitment.hex() == vector["commitment"]
    # Holder, wrapper, holder key and wrap nonce agree; the wrap key is fresh per seal.
    assert [(*w[:3], w[4]) for w in envelope.wrapped_keys] == [
        (*w[:3], w[4]) for w in parsed.wrapped_keys
    ]
    binding = crypto.Binding.from_bytes(bytes.fromhex(BINDINGS_V2["batch"][index]["binding"]))
    for party in ("JPN", "KOR"):
        for item in (envelope, parsed):
            opened = crypto.open(keyring=keyring(party), envelope=item, binding=binding)
            assert opened == vector["content"].encode()


@pytest.mark.parametrize(
    "wire",
    [bytes.fromhex(v["envelope"]) for v in (*ENVELOPES["items"], *ENVELOPES_V2["items"])],
)
def test_the_at_rest_form_of_a_parsed_envelope_is_its_bytes_without_the_wraps(
    wire: bytes,
) -> None:
    """The at-rest form cut from the bytes an envelope was read from is the same as the one
    encoded anew from its fields (K = 0, nothing else changed), for envelope-v1 and -v2."""
    parsed = crypto.Envelope.from_bytes(wire)
    assert parsed.wrapped_keys
    kept = parsed.without_keys()
    anew = dataclasses.replace(parsed, wrapped_keys=())
    assert kept == anew and kept.to_bytes() == anew.to_bytes()
    assert crypto.Envelope.from_bytes(kept.to_bytes()) == anew
    assert kept.without_keys().to_bytes() == anew.to_bytes()


def test_binding_v2_vectors() -> None:
    envelopes = [
        crypto.Envelope.from_bytes(bytes.fromhex(v["envelope"])) for v in BINDINGS_V2["batch"]
    ]
    bindings = crypto.bind(keyring=keyring("JPN"), envelopes=envelopes)
    assert [b.to_bytes().hex() for b in bindings] == [v["binding"] for v in BINDINGS_V2["batch"]]
    crypto.verify_batch(keyring=keyring("KOR"), items=list(zip(envelopes, bindings, strict=True)))


@pytest.mark.parametrize("index", range(len(ENVELOPES["items"])))
def test_envelope_v1_items_still_open(index: int) -> None:
    vector = ENVELOPES["items"][index]
    wire = bytes.fromhex(vector["envelope"])
    envelope = crypto.Envelope.from_bytes(wire)
    assert envelope.version == 1 and envelope.to_bytes() == wire
    assert envelope.label == Label.from_bytes(vector["label_canonical"].encode())
    binding = crypto.Binding.from_bytes(bytes.fromhex(BINDINGS["batch"][index]["binding"]))
    assert binding.version == 1
    for party in ("JPN", "KOR"):
        opened = crypto.open(keyring=keyring(party), envelope=envelope, binding=binding)
        assert opened == vector["content"].encode()
    with pytest.raises(InputError, match="label-v2 only"):
        crypto.seal_at(
            keyring=keyring("JPN"),
            plaintext=vector["content"].encode(),
            label=envelope.label,
            holders=vector["holders"],
            data_key=bytes.fromhex(vector["data_key"]),
            nonce=bytes.fromhex(vector["nonce"]),
            wrap_nonces=[bytes.fromhex(vector[f"wrap_nonce_{p}"]) for p in vector["holders"]],
        )


def test_binding_v1_batches_still_verify() -> None:
    items = [
        (
            crypto.Envelope.from_bytes(bytes.fromhex(v["envelope"])),
            crypto.Binding.from_bytes(bytes.fromhex(v["binding"])),
        )
        for v in BINDINGS["batch"]
    ]
    assert [b.to_bytes().hex() for _, b in items] == [v["binding"] for v in BINDINGS["batch"]]
    crypto.verify_batch(keyring=keyring("KOR"), items=items)
    for envelope, binding in items:
        crypto.verify(keyring=keyring("KOR"), envelope=envelope, binding=binding)


def test_frame_vector() -> None:
    label = Label.from_bytes(FRAMES["label_canonical"].encode())
    sender = crypto.FrameSender(
        keyring=keyring("JPN"), label=label, recipient="KOR", stream_id=FRAMES["stream_id"]
    )
    payload = bytes.fromhex(FRAMES["payload"])
    frame = sender.seal_at(payload, now=NOW, sequence=FRAMES["sequence"])
    assert frame.hex() == FRAMES["frame"]
    receiver = crypto.FrameReceiver(keyring=keyring("KOR"))
    receiver.accept_label(label)
    assert receiver.open(frame, now=NOW).payload == payload


def test_item_key_vector() -> None:
    envelope = crypto.Envelope.from_bytes(bytes.fromhex(ITEM_KEYS["envelope"]))
    binding = crypto.Binding.from_bytes(bytes.fromhex(BINDINGS["batch"][0]["binding"]))
    stored, item_key = crypto.keep_at(
        keyring=keyring("KOR"),
        envelope=envelope,
        binding=binding,
        nonce=bytes.fromhex(ITEM_KEYS["nonce"]),
    )
    assert stored.to_bytes().hex() == ITEM_KEYS["stored_envelope"]
    assert item_key.to_bytes().hex() == ITEM_KEYS["record"]
    content = crypto.open_stored(keyring=keyring("KOR"), envelope=stored, item_key=item_key)
    assert content == ENVELOPES["items"][0]["content"].encode()


def test_keyring_vector() -> None:
    # The vector fixes the secret text; it is not one the node would accept to run with.
    master = crypto.MasterSecret(value=KEYRINGS["master_secret"].encode())
    ring = keyring("KOR")
    data = crypto.dump_keyring_at(
        ring,
        master=master,
        salt=bytes.fromhex(KEYRINGS["salt"]),
        nonce=bytes.fromhex(KEYRINGS["nonce"]),
    )
    assert data.hex() == KEYRINGS["file"]
    assert crypto.load_keyring(data, master=master) == ring
    assert crypto.export_public_keys(ring).decode() == KEYRINGS["public_keys"]


# Part 2: an independent decoder written from docs/formats/.


def key_id(tag: bytes, public: bytes) -> bytes:
    return hashlib.sha256(b"gsomia/key-id-v1" + tag + public).digest()[:8]


def x25519_public(seed_hex: str) -> bytes:
    return (
        X25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex)).public_key().public_bytes_raw()
    )


def pairwise_key(*, info: bytes, own_seed: str, peer_public: bytes, context: bytes) -> bytes:
    shared = X25519PrivateKey.from_private_bytes(bytes.fromhex(own_seed)).exchange(
        X25519PublicKey.from_public_bytes(peer_public)
    )
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info + context).derive(shared)


def context(
    agreement: str, epoch: int, wrapper: bytes, wkid: bytes, holder: bytes, hkid: bytes
) -> bytes:
    name = agreement.encode()
    return bytes([len(name)]) + name + struct.pack(">I", epoch) + wrapper + wkid + holder + hkid


def decode_envelope(data: bytes) -> dict[str, Any]:
    assert data[:4] == b"GSE\x01"
    (label_length,) = struct.unpack_from(">I", data, 4)
    label = data[8 : 8 + label_length]
    at = 8 + label_length
    nonce, count = data[at : at + 12], data[at + 12]
    at += 13
    wraps = []
    for _ in range(count):
        holder, wrapper, wkid, hkid, epoch, wnonce, wrapped = struct.unpack_from(
            ">3s3s8s8sI12s48s", data, at
        )
        wraps.append(
            {
                "holder": holder,
                "wrapper": wrapper,
                "wkid": wkid,
                "hkid": hkid,
                "epoch": epoch,
                "nonce": wnonce,
                "wrapped": wrapped,
                "header": data[at : at + 26],
            }
        )
        at += 86
    (ct_length,) = struct.unpack_from(">I", data, at)
    ciphertext = data[at + 4 :]
    assert len(ciphertext) == ct_length
    return {"label": label, "nonce": nonce, "wraps": wraps, "ciphertext": ciphertext}


@pytest.mark.parametrize("holder", ["JPN", "KOR"])
@pytest.mark.parametrize("index", range(len(ENVELOPES["items"])))
def test_independent_envelope_decoding(index: int, holder: str) -> None:
    vector = ENVELOPES["items"][index]
    parties = ENVELOPES["parties"]
    envelope = decode_envelope(bytes.fromhex(vector["envelope"]))
    assert envelope["label"] == vector["label_canonical"].encode()
    epoch = int(NOW.timestamp()) // 86_400
    (wrap,) = [w for w in envelope["wraps"] if w["holder"] == holder.encode()]
    jpn_public = x25519_public(parties["JPN"]["encryption_seed"])
    holder_public = x25519_public(parties[holder]["encryption_seed"])
    assert wrap["wrapper"] == b"JPN" and wrap["epoch"] == epoch
    assert wrap["wkid"] == key_id(b"E", jpn_public)
    assert wrap["hkid"] == key_id(b"E", holder_public)
    kek = pairwise_key(
        info=b"gsomia/kek-v1",
        own_seed=parties[holder]["encryption_seed"],
        peer_public=jpn_public,
        context=context(
            ENVELOPES["agreement"], epoch, b"JPN", wrap["wkid"], holder.encode(), wrap["hkid"]
        ),
    )
    aad = b"GSW\x01" + hashlib.sha256(envelope["label"]).digest() + wrap["header"]
    data_key = AESGCM(kek).decrypt(wrap["nonce"], wrap["wrapped"], aad)
    assert data_key.hex() == vector["data_key"]
    plaintext = AESGCM(data_key).decrypt(
        envelope["nonce"], envelope["ciphertext"], envelope["label"]
    )
    assert plaintext == vector["content"].encode()


def rfc9162_root(leaf: bytes, index: int, size: int, path: list[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2, written out again for this check."""
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if fn % 2 == 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn, sn = fn >> 1, sn >> 1
    assert sn == 0
    return r


def test_independent_binding_check() -> None:
    seed = bytes.fromhex(BINDINGS["parties"]["JPN"]["signing_seed"])
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    roots = set()
    for index, vector in enumerate(BINDINGS["batch"]):
        envelope = decode_envelope(bytes.fromhex(vector["envelope"]))
        data = bytes.fromhex(vector["binding"])
        (magic, signer, kid, label_digest, reference, size, leaf_index, count) = struct.unpack_from(
            ">4s3s8s32s32sQQB", data
        )
        path = [data[96 + 32 * i : 128 + 32 * i] for i in range(count)]
        signature = data[96 + 32 * count :]
        assert (magic, signer, leaf_index, size, len(signature)) == (
            b"GSB\x01",
            b"JPN",
            index,
            3,
            64,
        )
        assert kid == key_id(b"S", public.public_bytes_raw())
        assert label_digest == hashlib.sha256(envelope["label"]).digest()
        assert reference == hashlib.sha256(envelope["nonce"] + envelope["ciphertext"]).digest()
        leaf = hashlib.sha256(b"\x00" + b"GSB\x01" + label_digest + reference).digest()
        root = rfc9162_root(leaf, leaf_index, size, path)
        message = b"gsomia/binding-v1 tree\x00" + signer + kid + struct.pack(">Q", size) + root
        public.verify(signature, message)
        roots.add(root)
    assert len(roots) == 1


def test_independent_frame_decoding() -> None:
    parties = FRAMES["parties"]
    frame = bytes.fromhex(FRAMES["frame"])
    magic, sender_kid, recipient_kid, stream, epoch, sequence, label_ref = struct.unpack_from(
        ">3s8s8sIIQ32s", frame
    )
    assert magic == b"GF\x01" and len(frame) - len(bytes.fromhex(FRAMES["payload"])) - 32 <= 64
    assert label_ref == hashlib.sha256(FRAMES["label_canonical"].encode()).digest()
    assert (stream, sequence) == (FRAMES["stream_id"], FRAMES["sequence"])
    key = pairwise_key(
        info=b"gsomia/frame-v1",
        own_seed=parties["KOR"]["encryption_seed"],
        peer_public=x25519_public(parties["JPN"]["encryption_seed"]),
        context=context(FRAMES["agreement"], epoch, b"JPN", sender_kid, b"KOR", recipient_kid)
        + struct.pack(">I", stream),
    )
    nonce = struct.pack(">IQ", stream, sequence)
    assert AESGCM(key).decrypt(nonce, frame[67:], frame[:67]).hex() == FRAMES["payload"]


def test_independent_item_key_decoding() -> None:
    at_rest = bytes.fromhex(ITEM_KEYS["parties"]["KOR"]["at_rest_key"])
    record = bytes.fromhex(ITEM_KEYS["record"])
    magic, kid, label_digest, nonce, wrapped = struct.unpack(">4s8s32s12s48s", record)
    assert magic == b"GSK\x01"
    assert kid == hmac.new(at_rest, b"gsomia/key-id-v1R", hashlib.sha256).digest()[:8]
    data_key = AESGCM(at_rest).decrypt(nonce, wrapped, magic + kid + label_digest)
    assert data_key.hex() == ENVELOPES["items"][0]["data_key"]
    stored = decode_envelope(bytes.fromhex(ITEM_KEYS["stored_envelope"]))
    assert stored["wraps"] == []
    assert label_digest == hashlib.sha256(stored["label"]).digest()


def test_independent_keyring_decoding() -> None:
    data = bytes.fromhex(KEYRINGS["file"])
    assert data[:4] == b"GKR\x01"
    salt, nonce = data[4:20], data[20:32]
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=salt, info=b"gsomia/master-v1 keyring"
    ).derive(KEYRINGS["master_secret"].encode())
    payload = json.loads(AESGCM(key).decrypt(nonce, data[32:], data[:20]))
    assert payload["format"] == "gsomia/keyring-v1" and payload["party"] == "KOR"
    secrets = {k["kind"]: k["secret"] for k in payload["keys"]}
    seeds = ENVELOPES["parties"]["KOR"]
    assert base64.b64decode(secrets["signing"]).hex() == seeds["signing_seed"]
    assert base64.b64decode(secrets["encryption"]).hex() == seeds["encryption_seed"]
    assert base64.b64decode(secrets["at-rest"]).hex() == seeds["at_rest_key"]
    assert {p["party"] for p in payload["partners"]} == {"JPN"}


# envelope-v2 and binding-v2, decoded independently.

WRAP_V2 = 3 + 3 + 8 + 80 + 12 + 48


def decode_envelope_v2(data: bytes) -> dict[str, Any]:
    assert data[:4] == b"GSE\x02"
    (label_length,) = struct.unpack_from(">I", data, 4)
    label = data[8 : 8 + label_length]
    at = 8 + label_length
    commitment, nonce, count = data[at : at + 32], data[at + 32 : at + 44], data[at + 44]
    at += 45
    wraps = []
    for _ in range(count):
        holder, wrapper, hkid, sealed, wnonce, wrapped = struct.unpack_from(
            ">3s3s8s80s12s48s", data, at
        )
        wraps.append(
            {
                "holder": holder,
                "wrapper": wrapper,
                "hkid": hkid,
                "sealed": sealed,
                "nonce": wnonce,
                "wrapped": wrapped,
                "header": data[at : at + 14],
            }
        )
        at += WRAP_V2
    (ct_length,) = struct.unpack_from(">I", data, at)
    ciphertext = data[at + 4 :]
    assert len(ciphertext) == ct_length
    return {
        "label": label,
        "commitment": commitment,
        "nonce": nonce,
        "wraps": wraps,
        "ciphertext": ciphertext,
    }


@pytest.mark.parametrize("holder", ["JPN", "KOR"])
@pytest.mark.parametrize("index", range(len(ENVELOPES_V2["items"])))
def test_independent_envelope_v2_decoding(index: int, holder: str) -> None:
    vector = ENVELOPES_V2["items"][index]
    parties = ENVELOPES_V2["parties"]
    envelope = decode_envelope_v2(bytes.fromhex(vector["envelope"]))
    assert envelope["label"] == vector["label_canonical"].encode()
    (wrap,) = [w for w in envelope["wraps"] if w["holder"] == holder.encode()]
    own = X25519PrivateKey.from_private_bytes(bytes.fromhex(parties[holder]["encryption_seed"]))
    assert wrap["wrapper"] == b"JPN"
    assert wrap["hkid"] == key_id(b"E", own.public_key().public_bytes_raw())
    agreement = ENVELOPES_V2["agreement"].encode()
    info = (
        b"gsomia/wrap-v2\x00"
        + bytes([len(agreement)])
        + agreement
        + b"JPN"
        + holder.encode()
        + wrap["hkid"]
    )
    suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
    wrap_key = suite.decrypt(wrap["sealed"], own, info=info)
    aad = b"GSW\x02" + hashlib.sha256(envelope["label"]).digest() + wrap["header"]
    data_key = AESGCM(wrap_key).decrypt(wrap["nonce"], wrap["wrapped"], aad)
    assert data_key.hex() == vector["data_key"]
    commitment = hashlib.sha256(b"gsomia/commit-v2\x00" + data_key).digest()
    assert commitment == envelope["commitment"] and commitment.hex() == vector["commitment"]
    plaintext = AESGCM(data_key).decrypt(
        envelope["nonce"], envelope["ciphertext"], envelope["label"]
    )
    assert plaintext == vector["content"].encode()
    # Nothing in the envelope is a hash of the content (crypto review H1).
    assert hashlib.sha256(plaintext).digest() not in bytes.fromhex(vector["envelope"])
    assert hashlib.sha256(plaintext).hexdigest().encode() not in envelope["label"]


def test_independent_binding_v2_check() -> None:
    seed = bytes.fromhex(BINDINGS_V2["parties"]["JPN"]["signing_seed"])
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    roots = set()
    for index, vector in enumerate(BINDINGS_V2["batch"]):
        envelope = decode_envelope_v2(bytes.fromhex(vector["envelope"]))
        data = bytes.fromhex(vector["binding"])
        fixed = struct.unpack_from(">4s3s8s32s32s32sQQB", data)
        (magic, signer, kid, label_digest, reference, commitment, size, leaf_index, count) = fixed
        path = [data[128 + 32 * i : 160 + 32 * i] for i in range(count)]
        signature = data[128 + 32 * count :]
        assert (magic, signer, leaf_index, size, len(signature)) == (
            b"GSB\x02",
            b"JPN",
            index,
            3,
            64,
        )
        assert kid == key_id(b"S", public.public_bytes_raw())
        assert label_digest == hashlib.sha256(envelope["label"]).digest()
        assert reference == hashlib.sha256(envelope["nonce"] + envelope["ciphertext"]).digest()
        assert commitment == envelope["commitment"]
        statement = b"GSB\x02" + label_digest + reference + commitment
        leaf = hashlib.sha256(b"\x00" + statement).digest()
        root = rfc9162_root(leaf, leaf_index, size, path)
        message = b"gsomia/binding-v2 tree\x00" + signer + kid + struct.pack(">Q", size) + root
        public.verify(signature, message)
        roots.add(root)
    assert len(roots) == 1

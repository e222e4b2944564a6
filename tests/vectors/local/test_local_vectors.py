"""local-v1 and form-v1 against their committed vectors, through gsomia and through
``cryptography`` directly (from the documented construction alone)."""

from __future__ import annotations

import hmac
import json
from hashlib import sha256
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gsomia import crypto
from gsomia.errors import IntegrityError
from tests.support.vectors import load_generator

HERE = Path(__file__).parent
generate = load_generator(HERE, "local_vectors")

LOCAL = json.loads((HERE / "local-v1.json").read_text(encoding="utf-8"))
FORM = json.loads((HERE / "form-v1.json").read_text(encoding="utf-8"))


def hkdf(ikm: bytes, *, salt: bytes | None, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def test_the_files_are_what_the_generator_writes() -> None:
    built = generate.build()
    assert sorted(built) == sorted(p.name for p in HERE.glob("*.json"))
    for name, value in built.items():
        assert json.loads((HERE / name).read_text(encoding="utf-8")) == value, name


def test_local_v1_opens_with_gsomia_and_with_the_documented_construction() -> None:
    sealed = bytes.fromhex(LOCAL["sealed_hex"])
    payload = LOCAL["payload_utf8"].encode()
    purpose = LOCAL["purpose"]
    assert crypto.open_local(keyring=generate.keyring(), purpose=purpose, sealed=sealed) == (
        payload
    )
    assert sealed[:4] == b"GSL\x01" and sealed[12:24].hex() == LOCAL["nonce_hex"]
    key = hkdf(
        bytes.fromhex(LOCAL["keyring"]["at_rest_key"]),
        salt=None,
        info=b"gsomia/local-v1 " + purpose.encode(),
    )
    aad = sealed[:24] + purpose.encode()
    assert AESGCM(key).decrypt(sealed[12:24], sealed[24:], aad) == payload


@pytest.mark.parametrize("change", ["purpose", "byte"])
def test_local_v1_refuses_another_purpose_or_a_changed_byte(change: str) -> None:
    sealed = bytearray.fromhex(LOCAL["sealed_hex"])
    purpose = LOCAL["purpose"]
    if change == "purpose":
        purpose = "gsomia.kor.warnings"
    else:
        sealed[-1] ^= 0x01
    with pytest.raises(IntegrityError):
        crypto.open_local(keyring=generate.keyring(), purpose=purpose, sealed=bytes(sealed))


def form_key(master: str) -> bytes:
    return hkdf(
        master.encode("ascii"),
        salt=b"gsomia/form-v1",
        info=b"gsomia/master-v1 console form tokens",
    )


@pytest.mark.parametrize("case", FORM["tokens"], ids=lambda c: c["value"])
def test_form_v1_tokens_are_the_documented_hmac(case: dict[str, Any]) -> None:
    key = crypto.FormKey.from_master(crypto.MasterSecret.from_text(FORM["master_secret"]))
    key.check(value=case["value"], token=case["token"])
    mac = hmac.new(form_key(FORM["master_secret"]), digestmod=sha256)
    mac.update(b"form-v1\x00" + case["value"].encode("utf-8"))
    assert mac.hexdigest() == case["token"]
    with pytest.raises(IntegrityError):
        key.check(value=case["value"] + " ", token=case["token"])

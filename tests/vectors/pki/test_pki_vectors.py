"""pki-v1 and ca-bundle-v1 against their committed vectors: rebuilt byte for byte, read back
through the code that receives them, and refused with one byte changed."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gsomia import crypto
from gsomia.crypto.pki import NodePki, PartnerTrust
from gsomia.errors import ConfigError, InputError, IntegrityError
from tests.support.vectors import assert_generator_writes, load_generator

HERE = Path(__file__).parent
generate = load_generator(HERE, "pki_vectors")

PKI = json.loads((HERE / "pki-v1.json").read_text(encoding="utf-8"))
BUNDLE = json.loads((HERE / "ca-bundle-v1.json").read_text(encoding="utf-8"))


def test_the_files_are_what_the_generator_writes() -> None:
    assert_generator_writes(HERE, generate.build())


def test_the_bundle_is_what_export_ca_assembles_from_the_same_authority() -> None:
    bundle = BUNDLE["bundle"].encode("ascii")
    first, rest = bundle.split(b"\n", 1)
    assert first == b"gsomia/ca-bundle-v1 party=JPN"
    assert rest.startswith(b"-----BEGIN CERTIFICATE-----\n")
    assert rest.endswith(b"-----END X509 CRL-----\n")


def test_the_manifest_opens_as_the_party_pki(tmp_path: Path) -> None:
    (tmp_path / "pki").mkdir()
    (tmp_path / "pki" / "pki.json").write_text(PKI["manifest"], encoding="utf-8")
    assert NodePki.open(tmp_path).party == "JPN"


@pytest.mark.parametrize(
    "old,new", [("pki-v1", "pki-v2"), ("JPN", "JP_"), ('"format"', '"formaT"')]
)
def test_the_manifest_with_one_byte_changed_is_refused(tmp_path: Path, old: str, new: str) -> None:
    (tmp_path / "pki").mkdir()
    changed = PKI["manifest"].replace(old, new, 1)
    assert len(changed) == len(PKI["manifest"]) and changed != PKI["manifest"]
    (tmp_path / "pki" / "pki.json").write_text(changed, encoding="utf-8")
    with pytest.raises(ConfigError):
        NodePki.open(tmp_path)


def test_the_key_passphrase_is_the_documented_hkdf() -> None:
    master = crypto.MasterSecret.from_text(PKI["master_secret"])
    assert crypto.pki.key_passphrase(master, party="JPN").decode() == PKI["key_passphrase"]
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"gsomia/pki-v1",
        info=b"gsomia/master-v1 pki key passphrase JPN",
    ).derive(PKI["master_secret"].encode("ascii"))
    assert base64.urlsafe_b64encode(key).rstrip(b"=").decode() == PKI["key_passphrase"]
    assert crypto.pki.key_passphrase(master, party="KOR").decode() != PKI["key_passphrase"]


def test_the_node_certificate_is_identified_as_the_party_it_names() -> None:
    ca_pem = BUNDLE["bundle"].encode("ascii")
    der = x509.load_pem_x509_certificate(PKI["node_pem"].encode()).public_bytes(
        serialization.Encoding.DER
    )
    identity = PartnerTrust({"JPN": ca_pem}).identify(der)
    assert identity.party == "JPN"
    assert identity.serial == format(generate.SERIALS["node"], "x")
    info = crypto.pki.read_certificate(PKI["node_pem"].encode())
    assert info.hosts == tuple(PKI["hosts"]) and not info.is_authority


def test_the_node_certificate_with_one_byte_changed_is_refused() -> None:
    ca_pem = BUNDLE["bundle"].encode("ascii")
    der = bytearray(
        x509.load_pem_x509_certificate(PKI["node_pem"].encode()).public_bytes(
            serialization.Encoding.DER
        )
    )
    der[-1] ^= 0x01  # the last byte of the signature's s
    with pytest.raises(IntegrityError):
        PartnerTrust({"JPN": ca_pem}).identify(bytes(der))


def _receiver(tmp_path: Path) -> NodePki:
    """KOR's own PKI (fresh random keys), the partner that pins JPN's bundle."""
    master = crypto.MasterSecret.from_text(generate.MASTER)
    return NodePki.init(tmp_path, party="KOR", master=master, now=generate.NOW)


def test_a_partner_pins_the_bundle(tmp_path: Path) -> None:
    kor = _receiver(tmp_path)
    pinned = kor.trust(party="JPN", bundle=BUNDLE["bundle"].encode("ascii"))
    assert pinned.authority.is_authority and pinned.authority.party == "JPN"
    assert pinned.crl.number == 2 and pinned.crl.revoked == tuple(BUNDLE["revoked"])
    key = generate.key("authority").public_key()
    assert (
        pinned.authority.fingerprint
        == x509.load_pem_x509_certificate(BUNDLE["bundle"].encode())
        .fingerprint(hashes.SHA256())
        .hex()
    )
    assert x509.load_pem_x509_certificate(BUNDLE["bundle"].encode()).public_key() == key


def _der_flipped(bundle: bytes, label: bytes) -> bytes:
    """``bundle`` with the last byte of the signature of its ``label`` PEM block changed."""
    begin, end = b"-----BEGIN " + label + b"-----\n", b"-----END " + label + b"-----\n"
    head, rest = bundle.split(begin, 1)
    body, tail = rest.split(end, 1)
    der = bytearray(base64.b64decode(body))
    der[-1] ^= 0x01
    text = base64.b64encode(bytes(der))
    lines = b"\n".join(text[i : i + 64] for i in range(0, len(text), 64)) + b"\n"
    return head + begin + lines + end + tail


@pytest.mark.parametrize(
    "change,error",
    [
        ("first line", InputError),
        ("authority signature", IntegrityError),
        ("list signature", IntegrityError),
    ],
)
def test_a_bundle_with_one_byte_changed_is_refused(
    tmp_path: Path, change: str, error: type[Exception]
) -> None:
    kor = _receiver(tmp_path)
    bundle = BUNDLE["bundle"].encode("ascii")
    if change == "first line":
        changed = bundle.replace(b"party=JPN", b"party=JPM", 1)
    elif change == "authority signature":
        changed = _der_flipped(bundle, b"CERTIFICATE")
    else:
        changed = _der_flipped(bundle, b"X509 CRL")
    assert len(changed) == len(bundle)
    assert sum(a != b for a, b in zip(changed, bundle, strict=True)) <= 2
    with pytest.raises(error):
        kor.trust(party="JPN", bundle=changed)
    assert kor.partners() == ()


def test_a_node_still_draws_its_serials_and_signatures_at_random() -> None:
    key = generate.key("authority")
    first, second = (
        generate.x.build_authority(party="JPN", key=key, at=generate.NOW, days=30) for _ in range(2)
    )
    assert first.serial_number != second.serial_number
    assert first.signature != second.signature
    fixed = [
        generate.x.build_authority(
            party="JPN", key=key, at=generate.NOW, days=30, serial=7, deterministic=True
        )
        for _ in range(2)
    ]
    assert fixed[0].signature == fixed[1].signature and fixed[0].serial_number == 7

"""Write the vectors of a party's authority: pki-v1 (the manifest of its folder, the
passphrase its private keys are encrypted under, a node certificate it issued) and
ca-bundle-v1 (the bundle partners pin).

Run ``python tests/vectors/pki/generate.py`` from the repository root after a deliberate
format change. A node makes its ECDSA keys and serials at random; here they are fixed inputs
and signatures are deterministic (RFC 6979), so the files are the same on every run.
The private keys in the files are test material only: they protect nothing.
``test_pki_vectors.py`` builds the files again, and reads each one back through the code
that receives it.
"""

from __future__ import annotations

import base64
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2] / "src"))
sys.path.insert(0, str(HERE.parents[2]))

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

from gsomia import crypto  # noqa: E402
from gsomia.crypto import _pki_x509 as x  # noqa: E402
from gsomia.crypto.pki import key_passphrase  # noqa: E402
from tests.support.vectors import fixed_bytes, write_vectors  # noqa: E402

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
PARTY = "JPN"
HOSTS = ("jpn-node.example", "192.0.2.10")
# The order of the P-256 group (FIPS 186-4, D.1.2.3).
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
DOMAIN = "gsomia pki vector"


def fixed(name: str, size: int = 32) -> bytes:
    """A fixed pseudo-random value named ``name``."""
    return fixed_bytes(DOMAIN, name, size)


def scalar(name: str) -> int:
    """A fixed P-256 private scalar named ``name`` (test material only)."""
    return int.from_bytes(fixed(name)) % (P256_ORDER - 1) + 1


def serial(name: str) -> int:
    """A fixed positive 159-bit serial, as ``x509.random_serial_number`` makes."""
    return int.from_bytes(fixed(name, 20)) >> 1


MASTER = base64.urlsafe_b64encode(fixed("master secret")).rstrip(b"=").decode("ascii")
KEYS = {"authority": scalar("authority key"), "node": scalar("node key")}
SERIALS = {"authority": serial("authority serial"), "node": serial("node serial")}


def key(role: str) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(KEYS[role], ec.SECP256R1())


def authority() -> x509.Certificate:
    return x.build_authority(
        party=PARTY,
        key=key("authority"),
        at=NOW,
        days=x.CA_DAYS,
        serial=SERIALS["authority"],
        deterministic=True,
    )


def node_pem() -> bytes:
    cert = x.build_node(
        party=PARTY,
        ca=authority(),
        ca_key=key("authority"),
        key=key("node"),
        hosts=HOSTS,
        at=NOW,
        serial=SERIALS["node"],
        deterministic=True,
    )
    return x.cert_pem(cert)


def bundle() -> bytes:
    """What ``NodePki.export_ca`` writes after one revocation (list number 2)."""
    ca = authority()
    revoked = (
        x509.RevokedCertificateBuilder()
        .serial_number(serial("revoked serial"))
        .revocation_date(NOW)
        .add_extension(x509.CRLReason(x.REASONS["key-compromise"]), critical=False)
        .build()
    )
    crl = x.sign_crl(ca, key("authority"), [revoked], number=2, at=NOW, deterministic=True)
    return x.bundle(PARTY, ca, crl)


def pki_vector() -> dict[str, Any]:
    master = crypto.MasterSecret.from_text(MASTER)
    return {
        "format": "gsomia/pki-v1",
        "note": "test material only: these keys protect nothing",
        "master_secret": MASTER,
        "party": PARTY,
        "manifest": json.dumps({"format": "gsomia/pki-v1", "party": PARTY}),
        "key_passphrase": key_passphrase(master, party=PARTY).decode("ascii"),
        "authority_key_hex": format(KEYS["authority"], "064x"),
        "node_key_hex": format(KEYS["node"], "064x"),
        "hosts": list(HOSTS),
        "node_pem": node_pem().decode("ascii"),
    }


def bundle_vector() -> dict[str, Any]:
    return {
        "format": "gsomia/ca-bundle-v1",
        "note": "test material only: this key protects nothing",
        "party": PARTY,
        "authority_key_hex": format(KEYS["authority"], "064x"),
        "revoked": [format(serial("revoked serial"), "x")],
        "bundle": bundle().decode("ascii"),
    }


def build() -> dict[str, dict[str, Any]]:
    return {"pki-v1.json": pki_vector(), "ca-bundle-v1.json": bundle_vector()}


def main() -> None:
    write_vectors(HERE, build())


if __name__ == "__main__":
    main()

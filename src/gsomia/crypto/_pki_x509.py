"""X.509 building and parsing for :mod:`gsomia.crypto.pki` (RFC 5280 profile, PEM files)."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from ipaddress import ip_address
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from gsomia.errors import InputError, IntegrityError

_logger = logging.getLogger(__name__)

DEFAULT_HOSTS = ("localhost", "127.0.0.1")
CA_DAYS = 3650
NODE_DAYS = 365
CRL_DAYS = 90
CLOCK_SKEW = timedelta(minutes=5)

BUNDLE_MARKER = "gsomia/ca-bundle-v1"
BUNDLE_MARKER_FIRST_SPELLING = "gsomia-ca-bundle-v1"  # the same version as first spelt; read
PARTY = re.compile(r"^[A-Z]{3}$")
PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n.*?-----END \1-----", re.S)
REASONS = {
    "unspecified": x509.ReasonFlags.unspecified,
    "key-compromise": x509.ReasonFlags.key_compromise,
    "superseded": x509.ReasonFlags.superseded,
    "cessation-of-operation": x509.ReasonFlags.cessation_of_operation,
}


# -- building ---------------------------------------------------------------------------


def subject_name(party: str, role: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, party),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{party} gsomia {role}"),
        ]
    )


def build_authority(
    *,
    party: str,
    key: ec.EllipticCurvePrivateKey,
    at: datetime,
    days: int,
    serial: int | None = None,
    deterministic: bool = False,
) -> x509.Certificate:
    """A self-signed root; ``serial`` and ``deterministic`` (RFC 6979 signing) fix every
    byte, for the vectors in ``tests/vectors/pki/``."""
    name = subject_name(party, "authority")
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    usage = x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(at - CLOCK_SKEW)
        .not_valid_after(at + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, hashes.SHA256(), ecdsa_deterministic=deterministic)
    )


def build_node(
    *,
    party: str,
    ca: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    key: ec.EllipticCurvePrivateKey,
    hosts: Iterable[str],
    at: datetime,
    days: int = NODE_DAYS,
    serial: int | None = None,
    deterministic: bool = False,
) -> x509.Certificate:
    """A node certificate ``ca`` issues; ``serial`` and ``deterministic`` as for
    :func:`build_authority`."""
    not_after = at + timedelta(days=days)
    if not_after > ca.not_valid_after_utc:
        _logger.warning("the %s node certificate is cut to its authority's expiry", party)
        not_after = ca.not_valid_after_utc
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    ca_ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH])
    return (
        x509.CertificateBuilder()
        .subject_name(subject_name(party, "node"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(at - CLOCK_SKEW)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(eku, critical=False)
        .add_extension(x509.SubjectAlternativeName(general_names(hosts)), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca_key, hashes.SHA256(), ecdsa_deterministic=deterministic)
    )


def general_names(hosts: Iterable[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ip_address(host)))
        except ValueError:
            if not re.fullmatch(r"[A-Za-z0-9.-]{1,253}", host):
                raise InputError(f"{host!r} is neither an IP address nor a host name") from None
            names.append(x509.DNSName(host))
    if not names:
        raise InputError("a node certificate needs at least one host name or address")
    return names


def sign_crl(
    ca: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    revoked: list[x509.RevokedCertificate],
    *,
    number: int,
    at: datetime,
    days: int = CRL_DAYS,
    deterministic: bool = False,
) -> x509.CertificateRevocationList:
    ca_ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.subject)
        .last_update(at - CLOCK_SKEW)
        .next_update(at + timedelta(days=days))
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
    )
    for entry in revoked:
        builder = builder.add_revoked_certificate(entry)
    return builder.sign(ca_key, hashes.SHA256(), ecdsa_deterministic=deterministic)


# -- reading ----------------------------------------------------------------------------


def check_partner_authority(bundle: bytes, *, party: str) -> x509.Certificate:
    marker = bundle.split(b"\n", 1)[0].decode("ascii", "replace").strip()
    expected = {f"{m} party={party}" for m in (BUNDLE_MARKER, BUNDLE_MARKER_FIRST_SPELLING)}
    if marker.startswith(("gsomia/ca-bundle", "gsomia-ca-bundle")) and marker not in expected:
        raise InputError(f"the bundle is {marker!r}, not {BUNDLE_MARKER} for {party}")
    ca = load_certificate(bundle, what="authority certificate")
    if party_of(ca.subject) != party:
        raise InputError(f"the authority names {party_of(ca.subject)!r}, not {party}")
    try:
        constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints).value
        ca.verify_directly_issued_by(ca)
    except (x509.ExtensionNotFound, ValueError, TypeError, InvalidSignature):
        raise IntegrityError(f"{party}'s authority is not a valid self-signed root") from None
    if not constraints.ca:
        raise InputError(f"{party}'s certificate is not an authority (CA) certificate")
    return ca


def check_partner_crl(data: bytes, *, ca: x509.Certificate) -> x509.CertificateRevocationList:
    block = pem_blocks(data, b"X509 CRL")
    if not block:
        raise InputError("no revocation list (X509 CRL) in the bundle")
    try:
        crl = x509.load_pem_x509_crl(block[0])
    except ValueError:
        raise InputError("the revocation list cannot be parsed") from None
    if not crl_signed_by(crl, ca):
        raise IntegrityError("the revocation list is not signed by the pinned authority")
    return crl


def crl_signed_by(crl: x509.CertificateRevocationList, ca: x509.Certificate) -> bool:
    """Whether ``ca`` (an ECDSA authority) issued and signed ``crl``."""
    key = ca.public_key()
    if crl.issuer != ca.subject or not isinstance(key, ec.EllipticCurvePublicKey):
        return False
    return crl.is_signature_valid(key)


def load_certificate(pem: bytes, *, what: str) -> x509.Certificate:
    blocks = pem_blocks(pem, b"CERTIFICATE")
    if not blocks:
        raise InputError(f"no {what} (PEM CERTIFICATE) found")
    try:
        return x509.load_pem_x509_certificate(blocks[0])
    except ValueError:
        raise InputError(f"the {what} cannot be parsed") from None


def pem_blocks(data: bytes, label: bytes) -> list[bytes]:
    return [m.group(0) for m in PEM_BLOCK.finditer(data) if m.group(1) == label]


def party_of(name: x509.Name) -> str | None:
    values = name.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    if len(values) != 1:
        return None
    value = values[0].value
    return value if isinstance(value, str) and PARTY.fullmatch(value) else None


def crl_number(crl: x509.CertificateRevocationList) -> int:
    try:
        return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    except x509.ExtensionNotFound:
        return 0


# -- small helpers ----------------------------------------------------------------------


def serial_hex(serial: int) -> str:
    return format(serial, "x")


def normal_serial(serial: str) -> str:
    text = serial.strip().lower().replace(":", "")
    text = text.removeprefix("0x").lstrip("0") or "0"
    if not re.fullmatch(r"[0-9a-f]{1,40}", text):
        raise InputError(f"serial {serial!r} is not a hexadecimal certificate serial")
    return text


def key_pem(key: ec.EllipticCurvePrivateKey, passphrase: bytes) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )


def bundle(party: str, ca: x509.Certificate, crl: x509.CertificateRevocationList) -> bytes:
    """The ca-bundle-v1 partners pin: its first line, the authority, the revocation list."""
    return f"{BUNDLE_MARKER} party={party}\n".encode() + cert_pem(ca) + pem_crl(crl)


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def pem_crl(crl: x509.CertificateRevocationList) -> bytes:
    return crl.public_bytes(serialization.Encoding.PEM)


def read_optional(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def write(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write ``data`` atomically (temporary file, fsync, rename); mode 0600 if ``private``."""
    tmp = path.with_name(path.name + ".tmp")
    mode = 0o600 if private else 0o644
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as file:
        os.fchmod(fd, mode)
        file.write(data)
        file.flush()
        os.fsync(fd)
    os.replace(tmp, path)

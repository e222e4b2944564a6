"""The only module that touches pyca/cryptography's hazardous-materials layer.

Everything here is private to :mod:`gsomia.crypto`: AES-256-GCM, Ed25519, X25519,
HKDF-SHA-256 (RFC 5869) and HPKE (RFC 9180, pyca/cryptography's own implementation) under
names that say what gsomia uses them for. Library exceptions stop here and come out as the
one opaque :class:`~gsomia.errors.IntegrityError`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gsomia.errors import IntegrityError

__all__ = [
    "AEAD",
    "HPKE_SEALED_KEY_SIZE",
    "KEY_SIZE",
    "NONCE_SIZE",
    "SIGNATURE_SIZE",
    "TAG_SIZE",
    "InvalidTag",
    "agree",
    "hkdf",
    "hmac_sha256",
    "hpke_open",
    "hpke_seal",
    "random_bytes",
    "signing_key",
    "signing_public",
    "verify_key",
    "verify_signature",
    "x25519_public",
]

_logger = logging.getLogger(__name__)

KEY_SIZE = 32
NONCE_SIZE = 12
TAG_SIZE = 16
SIGNATURE_SIZE = 64

#: AES-256-GCM (NIST SP 800-38D) with a 96-bit nonce and a 128-bit tag.
AEAD = AESGCM

#: HPKE (RFC 9180) in base mode: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM.
_HPKE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
#: An HPKE-sealed 32-byte key: the encapsulated key (32) and the sealed key with its tag.
HPKE_SEALED_KEY_SIZE = 32 + KEY_SIZE + TAG_SIZE


def random_bytes(size: int) -> bytes:
    """``size`` bytes from the operating system's CSPRNG."""
    return os.urandom(size)


def hkdf(*, secret: bytes, salt: bytes, info: bytes, length: int = KEY_SIZE) -> bytes:
    """HKDF-SHA-256, extract then expand (RFC 5869)."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(secret)


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA-256 (RFC 2104)."""
    return hmac.digest(key, message, hashlib.sha256)


def signing_key(seed: bytes) -> Ed25519PrivateKey:
    """The Ed25519 key (RFC 8032) whose 32-byte private seed is ``seed``."""
    return Ed25519PrivateKey.from_private_bytes(seed)


def signing_public(seed: bytes) -> bytes:
    """The raw 32-byte Ed25519 public key of ``seed``."""
    return signing_key(seed).public_key().public_bytes_raw()


def verify_key(raw: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from its 32 raw bytes; raises :class:`IntegrityError` if invalid."""
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise IntegrityError("not an Ed25519 public key") from None


def verify_signature(key: Ed25519PublicKey, signature: bytes, message: bytes) -> None:
    """Check an Ed25519 signature (RFC 8032 §5.1.7); raises :class:`IntegrityError`."""
    try:
        key.verify(signature, message)
    except InvalidSignature:
        raise IntegrityError("signature did not verify") from None


def x25519_public(secret: bytes) -> bytes:
    """The raw 32-byte X25519 public key of a private scalar (RFC 7748)."""
    return X25519PrivateKey.from_private_bytes(secret).public_key().public_bytes_raw()


def agree(secret: bytes, peer_public: bytes) -> bytes:
    """X25519(secret, peer_public) (RFC 7748 §6.1).

    Raises :class:`IntegrityError` if the peer key is malformed or of low order (an all-zero
    shared secret), which RFC 7748 §6.1 says to refuse.
    """
    try:
        peer = X25519PublicKey.from_public_bytes(peer_public)
        return X25519PrivateKey.from_private_bytes(secret).exchange(peer)
    except ValueError:
        raise IntegrityError("key agreement failed") from None


def hpke_seal(*, public: bytes, key: bytes, info: bytes) -> bytes:
    """``key`` sealed to the X25519 ``public`` key with single-shot HPKE (RFC 9180 §6.1,
    base mode, a fresh ephemeral key per call): ``enc || ciphertext``.

    Raises :class:`IntegrityError` if the public key is malformed or of low order.
    """
    try:
        peer = X25519PublicKey.from_public_bytes(public)
        return _HPKE.encrypt(key, peer, info=info)
    except ValueError:
        raise IntegrityError("key agreement failed") from None


def hpke_open(*, secret: bytes, sealed: bytes, info: bytes) -> bytes:
    """The key that :func:`hpke_seal` sealed to the X25519 key ``secret``; raises
    :class:`IntegrityError` on any failure (wrong key or info, tampering, low order)."""
    try:
        return _HPKE.decrypt(sealed, X25519PrivateKey.from_private_bytes(secret), info=info)
    except (InvalidTag, ValueError):
        raise IntegrityError("HPKE open failed") from None

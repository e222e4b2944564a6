"""keyring-v1 files and public-keys-v1 exports.

A keyring file holds the node's private keys and its partners' registered public keys,
encrypted and authenticated as a whole under a key derived from the master secret, so that
neither a private key can be read nor a partner key slipped in without the secret. A
public-keys export is the plain, canonical JSON a node hands to its partners. Layouts:
``docs/formats/keyring-v1.md``.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from gsomia.core.canonical import canonical_json, parse_canonical
from gsomia.crypto import _primitives as prim
from gsomia.crypto._keys import KeyKind, Keyring, OwnKey, PublicKey
from gsomia.crypto._master import MasterSecret
from gsomia.crypto._wire import OPAQUE, fail
from gsomia.errors import InputError, IntegrityError

__all__ = [
    "KEYRING_MAGIC",
    "dump_keyring",
    "dump_keyring_at",
    "export_public_keys",
    "import_public_keys",
    "load_keyring",
]

_logger = logging.getLogger(__name__)

KEYRING_MAGIC = b"GKR\x01"
_SALT_SIZE = 16
_HEADER_SIZE = len(KEYRING_MAGIC) + _SALT_SIZE
_KEYRING_FORMAT = "gsomia/keyring-v1"
_PUBLIC_FORMAT = "gsomia/public-keys-v1"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise InputError(f"{what}: expected base64 text")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise InputError(f"{what}: not valid base64") from None


def _time_text(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def _parse_time(text: Any, what: str) -> datetime:
    if not isinstance(text, str) or not text.endswith("Z"):
        raise InputError(f"{what}: expected a UTC time ending in Z")
    try:
        return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
    except ValueError:
        raise InputError(f"{what}: {text!r} is not a time") from None


def _public_dict(key: PublicKey) -> dict[str, Any]:
    return {
        "kind": key.kind.value,
        "key_id": key.key_id.hex(),
        "public": _b64(key.public),
        "created_at": _time_text(key.created_at),
    }


def _public_from(raw: Any, party: str) -> PublicKey:
    if not isinstance(raw, Mapping):
        raise InputError("public key: expected an object")
    try:
        return PublicKey(
            party=party,
            kind=KeyKind(raw["kind"]),
            key_id=bytes.fromhex(raw["key_id"]),
            public=_unb64(raw["public"], "public key"),
            created_at=_parse_time(raw["created_at"], "public key created_at"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"public key: malformed ({exc})") from None


def export_public_keys(keyring: Keyring) -> bytes:
    """The node's public keys as public-keys-v1 canonical JSON, for partners to register."""
    return canonical_json(
        {
            "format": _PUBLIC_FORMAT,
            "party": keyring.party,
            "keys": [_public_dict(k) for k in keyring.public_keys()],
        }
    )


def import_public_keys(data: bytes) -> tuple[PublicKey, ...]:
    """Parse a public-keys-v1 export. Raises :class:`InputError` naming what is wrong.

    The export carries no signature: check its key ids with the partner's competent
    authority over an independent channel before registering them.
    """
    raw = parse_canonical(data, what="public keys")
    if not isinstance(raw, Mapping) or raw.get("format") != _PUBLIC_FORMAT:
        raise InputError(f"public keys: format must be {_PUBLIC_FORMAT!r}")
    party, keys = raw.get("party"), raw.get("keys")
    if not isinstance(party, str) or not isinstance(keys, list):
        raise InputError("public keys: party and keys are required")
    return tuple(_public_from(k, party) for k in keys)


def _payload(keyring: Keyring) -> bytes:
    return canonical_json(
        {
            "format": _KEYRING_FORMAT,
            "party": keyring.party,
            "keys": [
                {
                    "kind": key.kind.value,
                    "key_id": key.key_id.hex(),
                    "created_at": _time_text(key.created_at),
                    "secret": _b64(key.secret),
                }
                for key in keyring.own
            ],
            "partners": [
                {"agreement": agreement_id, "party": key.party, **_public_dict(key)}
                for agreement_id, key in keyring.partners
            ],
        }
    )


def dump_keyring_at(keyring: Keyring, *, master: MasterSecret, salt: bytes, nonce: bytes) -> bytes:
    """:func:`dump_keyring` with the salt and nonce given (for test vectors)."""
    if len(salt) != _SALT_SIZE or len(nonce) != prim.NONCE_SIZE:
        raise InputError("keyring: salt is 16 bytes and nonce 12")
    header = KEYRING_MAGIC + salt
    key = master.derive(salt=salt, purpose=b"keyring")
    return header + nonce + prim.AEAD(key).encrypt(nonce, _payload(keyring), header)


def dump_keyring(keyring: Keyring, *, master: MasterSecret) -> bytes:
    """The keyring as a keyring-v1 file, encrypted under the master secret (AES-256-GCM)."""
    return dump_keyring_at(
        keyring,
        master=master,
        salt=prim.random_bytes(_SALT_SIZE),
        nonce=prim.random_bytes(prim.NONCE_SIZE),
    )


def load_keyring(data: bytes, *, master: MasterSecret) -> Keyring:
    """Open a keyring-v1 file.

    Raises :class:`IntegrityError` if the file is not a keyring-v1 file or does not
    authenticate under this master secret (wrong secret or tampering), and
    :class:`InputError` if its authenticated content is malformed.
    """
    if len(data) < _HEADER_SIZE + prim.NONCE_SIZE + prim.TAG_SIZE:
        fail()
    if data[:4] != KEYRING_MAGIC:
        fail()
    header, salt = data[:_HEADER_SIZE], data[4:_HEADER_SIZE]
    nonce, body = data[_HEADER_SIZE : _HEADER_SIZE + 12], data[_HEADER_SIZE + 12 :]
    key = master.derive(salt=salt, purpose=b"keyring")
    try:
        payload = prim.AEAD(key).decrypt(nonce, body, header)
    except prim.InvalidTag:
        raise IntegrityError(OPAQUE) from None
    return _keyring_from(parse_canonical(payload, what="keyring"))


def _keyring_from(raw: Any) -> Keyring:
    if not isinstance(raw, Mapping) or raw.get("format") != _KEYRING_FORMAT:
        raise InputError(f"keyring: format must be {_KEYRING_FORMAT!r}")
    try:
        own = tuple(
            OwnKey.from_secret(
                kind=KeyKind(k["kind"]),
                secret=_unb64(k["secret"], "keyring secret"),
                created_at=_parse_time(k["created_at"], "keyring created_at"),
            )
            for k in raw["keys"]
        )
        for key, entry in zip(own, raw["keys"], strict=True):
            if key.key_id.hex() != entry["key_id"]:
                raise InputError(f"keyring: key {entry['key_id']} does not match its secret")
        partners = tuple((p["agreement"], _public_from(p, p["party"])) for p in raw["partners"])
        return Keyring(party=raw["party"], own=own, partners=partners)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"keyring: malformed ({exc})") from None

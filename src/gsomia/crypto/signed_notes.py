"""Ed25519 signers and verifiers for signed notes and witness cosignatures.

Implements the two signature types gsomia's ledger uses (C2SP signed-note v1.0.0 and
tlog-cosignature v1): type ``0x01``, Ed25519 (RFC 8032) over the note text, for a log's own
checkpoints; and type ``0x04``, a timestamped Ed25519 cosignature over
``cosignature/v1\\ntime <t>\\n`` and the note text, for witnesses. Key IDs are
SHA-256(name || 0x0A || type || public key)[:4].

Keys travel as the strings the Go ``sumdb/note`` package and C2SP ``vkey`` use:

* verifier key: ``<name>+<8 hex digits of key ID>+<base64(type || 32-byte public key)>``;
* signer key: ``PRIVATE+KEY+<name>+<8 hex digits>+<base64(0x01 || 32-byte seed)>``.

A cosigner can be made from a signer key string (the same seed, key ID recomputed with type
``0x04``), as ``transparency-dev/formats`` does; a node's own log and witness keys are two
keys of their own purposes (:func:`node_note_keys`). Every verification failure raises
:class:`~gsomia.errors.IntegrityError`; a malformed key string raises
:class:`~gsomia.errors.InputError`.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Callable, Iterable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from gsomia.crypto._keys import KeyKind, Keyring, PublicKey
from gsomia.errors import InputError, IntegrityError
from gsomia.ledger.checkpoint import (
    COSIGNATURE_V1,
    ED25519,
    cosignature_message,
    cosignature_timestamp,
    key_hash,
)

__all__ = [
    "Ed25519CosignatureSigner",
    "Ed25519CosignatureVerifier",
    "Ed25519NoteSigner",
    "Ed25519NoteVerifier",
    "generate_signer_key",
    "node_note_keys",
    "parse_cosigner_key",
    "parse_signer_key",
    "parse_verifier_key",
    "partner_note_verifiers",
    "trusted_key_lines",
    "witness_name",
]

_HASH = re.compile(r"^[0-9a-f]{8}$")
_RAW = serialization.Encoding.Raw
_RAW_PUBLIC = serialization.PublicFormat.Raw


def _check_name(name: str) -> None:
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise InputError(f"note key name {name!r} must be non-empty, without spaces or '+'")


def _public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(_RAW, _RAW_PUBLIC)


class _NamedKey:
    """What every note key has: a name, and a 32-bit key ID over its name, signature type
    and public key."""

    signature_type: int
    _name: str
    _hash: int

    @property
    def name(self) -> str:
        """The key name."""
        return self._name

    @property
    def key_hash(self) -> int:
        """The 32-bit key ID."""
        return self._hash


class Ed25519NoteVerifier(_NamedKey):
    """Verifies Ed25519 note signatures (type 0x01) of one named key."""

    signature_type = ED25519

    def __init__(self, *, name: str, public_key: bytes) -> None:
        _check_name(name)
        if len(public_key) != 32:
            raise InputError("an Ed25519 public key is 32 bytes")
        self._name = name
        self._raw = public_key
        self._key = Ed25519PublicKey.from_public_bytes(public_key)
        self._hash = key_hash(name, self.signature_type, public_key)

    @property
    def public_key(self) -> bytes:
        """The 32-byte Ed25519 public key (RFC 8032)."""
        return self._raw

    def key_string(self) -> str:
        """``<name>+<hash>+<base64(type || key)>``, the verifier key as people exchange it."""
        blob = base64.b64encode(bytes([self.signature_type]) + self._raw).decode()
        return f"{self._name}+{self._hash:08x}+{blob}"

    def _check(self, msg: bytes, sig: bytes) -> None:
        try:
            self._key.verify(sig, msg)
        except InvalidSignature:
            raise IntegrityError(f"signature by {self._name} does not verify") from None

    def verify(self, msg: bytes, sig: bytes) -> None:
        """Raise :class:`IntegrityError` unless ``sig`` is this key's signature of ``msg``."""
        if len(sig) != 64:
            raise IntegrityError(f"signature by {self._name} is not 64 bytes")
        self._check(msg, sig)


class Ed25519CosignatureVerifier(Ed25519NoteVerifier):
    """Verifies timestamped witness cosignatures (tlog-cosignature v1, type 0x04)."""

    signature_type = COSIGNATURE_V1

    def verify(self, msg: bytes, sig: bytes) -> None:
        """Raise :class:`IntegrityError` unless ``sig`` cosigns the checkpoint text ``msg``."""
        timestamp = cosignature_timestamp(sig)
        try:
            text = msg.decode("utf-8")
        except UnicodeDecodeError:
            raise IntegrityError("cosigned text is not UTF-8") from None
        self._check(cosignature_message(text, timestamp), sig[8:])


class _Ed25519Signer(_NamedKey):
    """A named Ed25519 private key that signs as one signature type."""

    def __init__(self, *, name: str, private_key: Ed25519PrivateKey) -> None:
        _check_name(name)
        self._name = name
        self._key = private_key
        self._public = _public_bytes(private_key.public_key())
        self._hash = key_hash(name, self.signature_type, self._public)


class Ed25519NoteSigner(_Ed25519Signer):
    """Signs note text with an Ed25519 key (type 0x01); a log's key is named after its origin."""

    signature_type = ED25519

    def sign(self, msg: bytes) -> bytes:
        """The Ed25519 signature of the note text (RFC 8032, deterministic)."""
        return self._key.sign(msg)

    def verifier(self) -> Ed25519NoteVerifier:
        """The matching verifier."""
        return Ed25519NoteVerifier(name=self._name, public_key=self._public)


class Ed25519CosignatureSigner(_Ed25519Signer):
    """Makes tlog-cosignature v1 cosignatures (type 0x04) with an Ed25519 key."""

    signature_type = COSIGNATURE_V1

    def sign(self, msg: bytes, *, timestamp: int) -> bytes:
        """``uint64 timestamp || signature`` over the cosignature message for note text ``msg``.

        Raises :class:`InputError` when ``msg`` is not UTF-8 or the time is out of range.
        """
        try:
            text = msg.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("note text must be UTF-8") from None
        if not 0 <= timestamp < 2**63:
            raise InputError(f"cosignature time {timestamp} is out of range")
        signature = self._key.sign(cosignature_message(text, timestamp))
        return timestamp.to_bytes(8, "big") + signature

    def verifier(self) -> Ed25519CosignatureVerifier:
        """The matching verifier."""
        return Ed25519CosignatureVerifier(name=self._name, public_key=self._public)


def _split_key(text: str, parts: int, what: str) -> list[str]:
    # The base64 part may itself contain '+', so only the leading separators split.
    fields = text.strip().split("+", parts - 1)
    if len(fields) != parts:
        raise InputError(f"{what} must read <name>+<hash>+<base64 key>")
    return fields


def _decode_key(name: str, hash_hex: str, blob: str, what: str) -> tuple[int, bytes]:
    _check_name(name)
    if not _HASH.fullmatch(hash_hex):
        raise InputError(f"{what} {name!r}: the key hash must be 8 lower-case hex digits")
    try:
        raw = base64.b64decode(blob.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise InputError(f"{what} {name!r}: key material is not base64") from None
    if len(raw) != 33:
        raise InputError(f"{what} {name!r}: expected a type byte and 32 key bytes")
    return raw[0], raw[1:]


def parse_verifier_key(text: str) -> Ed25519NoteVerifier:
    """A verifier from ``<name>+<hash>+<base64(type || key)>`` (type 0x01 or 0x04).

    Raises :class:`InputError` on a malformed string, an unknown type or a key hash that does
    not match the name and key.
    """
    name, hash_hex, blob = _split_key(text, 3, "verifier key")
    kind, public = _decode_key(name, hash_hex, blob, "verifier key")
    verifier: Ed25519NoteVerifier
    if kind == ED25519:
        verifier = Ed25519NoteVerifier(name=name, public_key=public)
    elif kind == COSIGNATURE_V1:
        verifier = Ed25519CosignatureVerifier(name=name, public_key=public)
    else:
        raise InputError(f"verifier key {name!r}: signature type {kind:#04x} is not supported")
    if f"{verifier.key_hash:08x}" != hash_hex:
        raise InputError(f"verifier key {name!r}: key hash does not match the key")
    return verifier


def _signer_parts(text: str) -> tuple[str, Ed25519PrivateKey]:
    fields = _split_key(text, 5, "signer key")
    if fields[:2] != ["PRIVATE", "KEY"]:
        raise InputError("signer key must start with PRIVATE+KEY+")
    name, hash_hex, blob = fields[2:]
    kind, seed = _decode_key(name, hash_hex, blob, "signer key")
    if kind != ED25519:
        raise InputError(f"signer key {name!r}: only Ed25519 (type 0x01) keys are supported")
    private = Ed25519PrivateKey.from_private_bytes(seed)
    if f"{key_hash(name, ED25519, _public_bytes(private.public_key())):08x}" != hash_hex:
        raise InputError(f"signer key {name!r}: key hash does not match the key")
    return name, private


def parse_signer_key(text: str) -> Ed25519NoteSigner:
    """A log signer from ``PRIVATE+KEY+<name>+<hash>+<base64(0x01 || seed)>``.

    Raises :class:`InputError` on a malformed string or a key hash that does not match.
    """
    name, private = _signer_parts(text)
    return Ed25519NoteSigner(name=name, private_key=private)


def parse_cosigner_key(text: str) -> Ed25519CosignatureSigner:
    """A witness cosigner from the same signer key string (key ID recomputed for type 0x04)."""
    name, private = _signer_parts(text)
    return Ed25519CosignatureSigner(name=name, private_key=private)


def generate_signer_key(name: str, *, seed: bytes | None = None) -> tuple[str, str]:
    """A new ``(signer key, verifier key)`` pair of strings; ``seed`` fixes it for tests.

    Raises :class:`InputError` when the name is not a valid key name or the seed is not 32
    bytes.
    """
    _check_name(name)
    seed = os.urandom(32) if seed is None else seed
    if len(seed) != 32:
        raise InputError("an Ed25519 seed is 32 bytes")
    private = Ed25519PrivateKey.from_private_bytes(seed)
    signer = Ed25519NoteSigner(name=name, private_key=private)
    blob = base64.b64encode(bytes([ED25519]) + seed).decode()
    return f"PRIVATE+KEY+{name}+{signer.key_hash:08x}+{blob}", signer.verifier().key_string()


def witness_name(log_name: str) -> str:
    """The name of a party's witness key: its log's name and ``/witness``. A witness key is
    named apart from the log key, so a checkpoint reader can tell a log's own party's
    cosignature from an independent one (:func:`gsomia.ledger.checkpoint.open_checkpoint`)."""
    return f"{log_name}/witness"


def node_note_keys(
    keyring: Keyring, *, name: str
) -> tuple[Ed25519NoteSigner, Ed25519CosignatureSigner]:
    """The node's checkpoint signer (its log key, named ``name``) and witness cosigner (its
    witness key, named :func:`witness_name`), each a key of that purpose only.

    A keyring made before per-purpose keys signs both with its signing key; the names still
    differ, and readers never count a log's own party's cosignature.
    """
    log = Ed25519PrivateKey.from_private_bytes(keyring.newest(KeyKind.LOG).secret)
    witness = Ed25519PrivateKey.from_private_bytes(keyring.newest(KeyKind.WITNESS).secret)
    return (
        Ed25519NoteSigner(name=name, private_key=log),
        Ed25519CosignatureSigner(name=witness_name(name), private_key=witness),
    )


def partner_note_verifiers(
    keys: Iterable[PublicKey], *, name_of: Callable[[str], str]
) -> list[Ed25519NoteVerifier]:
    """Checkpoint verifiers for partners' log keys and cosignature verifiers for their
    witness keys; ``name_of(party)`` names a party's log (its witness is
    :func:`witness_name` of that). A partner that has registered no log (or witness) key
    yet is trusted through its signing key for that purpose (an older keyring)."""
    by_party: dict[str, list[PublicKey]] = {}
    for key in keys:
        by_party.setdefault(key.party, []).append(key)
    out: list[Ed25519NoteVerifier] = []
    for party, registered in by_party.items():
        kinds = {key.kind for key in registered}
        for purpose, make, name in (
            (KeyKind.LOG, Ed25519NoteVerifier, name_of(party)),
            (KeyKind.WITNESS, Ed25519CosignatureVerifier, witness_name(name_of(party))),
        ):
            wanted = purpose if purpose in kinds else KeyKind.SIGNING
            seen: set[bytes] = set()
            for key in registered:
                if key.kind is wanted and key.public not in seen:
                    seen.add(key.public)
                    out.append(make(name=name, public_key=key.public))
    return out


def trusted_key_lines(keyring: Keyring, *, name_of: Callable[[str], str]) -> list[str]:
    """The ``trusted-keys`` file of a node: its own log and witness verifier keys, then its
    partners' (public data, one ``<name>+<hash>+<base64>`` line each)."""
    signer, cosigner = node_note_keys(keyring, name=name_of(keyring.party))
    partners = partner_note_verifiers((key for _, key in keyring.partners), name_of=name_of)
    return [v.key_string() for v in (signer.verifier(), cosigner.verifier(), *partners)]

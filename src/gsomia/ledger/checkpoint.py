"""Checkpoints (C2SP tlog-checkpoint v1.0.0) and signed notes (C2SP signed-note v1.0.0).

A checkpoint body is three lines: the log's *origin*, the tree size in decimal and the
base64 RFC 6962 root hash, each ending in a newline (extension lines may follow; gsomia
writes none). A *signed note* is that text, a blank line, and one line per signature:
``— <key name> <base64(4-byte key hash || signature)>``. The node signs its own
checkpoints with an Ed25519 note key (type ``0x01``) named after the origin; partners'
witnesses add timestamped Ed25519 cosignatures (C2SP tlog-cosignature v1, type ``0x04``),
which sign ``cosignature/v1\\ntime <unix>\\n`` followed by the body.

Signing and verifying go through two small Protocols (:class:`NoteSigner`,
:class:`NoteVerifier`) implemented in :mod:`gsomia.crypto.signed_notes`, so this module stays pure.
Everything that reads a note from outside raises :class:`~gsomia.errors.IntegrityError` when
the note is malformed or does not verify: a checkpoint that cannot be trusted is refused,
whatever the reason. The byte layout and vectors are in ``docs/formats/checkpoint.md``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from gsomia.errors import IntegrityError
from gsomia.ledger.merkle import HASH_SIZE

__all__ = [
    "COSIGNATURE_V1",
    "ED25519",
    "MAX_SIGNATURES",
    "Checkpoint",
    "CosignatureSigner",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "SignedNote",
    "VerifiedCheckpoint",
    "cosign_checkpoint",
    "cosignature_message",
    "cosignature_timestamp",
    "key_hash",
    "open_checkpoint",
    "open_note",
    "sign_checkpoint",
]

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
MAX_SIGNATURES = 64
_MAX_NOTE = 1 << 16
_DASH = "\u2014 "
_SIZE = re.compile(r"^(0|[1-9][0-9]{0,18})$")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


class NoteVerifier(Protocol):
    """Checks signatures of one key (C2SP signed-note); ``verify`` raises, never returns bool."""

    @property
    def name(self) -> str:
        """The key name, as it appears on signature lines."""

    @property
    def key_hash(self) -> int:
        """The 32-bit key ID: SHA-256(name || 0x0A || type || public key)[:4], big-endian."""

    @property
    def signature_type(self) -> int:
        """``ED25519`` (0x01) for a log key, ``COSIGNATURE_V1`` (0x04) for a witness key."""

    @property
    def public_key(self) -> bytes:
        """The raw public key, so that one key is counted once whatever its names."""

    def verify(self, msg: bytes, sig: bytes) -> None:
        """Raise :class:`IntegrityError` unless ``sig`` signs the note text ``msg``."""


class NoteSigner(Protocol):
    """Signs note text with one key (C2SP signed-note)."""

    @property
    def name(self) -> str:
        """The key name; for a log it is the origin."""

    @property
    def key_hash(self) -> int:
        """The 32-bit key ID."""

    def sign(self, msg: bytes) -> bytes:
        """The signature over the note text ``msg``."""

    def verifier(self) -> NoteVerifier:
        """The verifier of this key."""


class CosignatureSigner(Protocol):
    """Makes timestamped cosignatures (C2SP tlog-cosignature v1, type 0x04)."""

    @property
    def name(self) -> str:
        """The cosigner (witness) name."""

    @property
    def key_hash(self) -> int:
        """The 32-bit key ID, computed with type byte 0x04."""

    def sign(self, msg: bytes, *, timestamp: int) -> bytes:
        """``uint64 timestamp || Ed25519 signature`` over :func:`cosignature_message`."""

    def verifier(self) -> NoteVerifier:
        """The verifier of this key."""


def key_hash(name: str, signature_type: int, public_key: bytes) -> int:
    """The recommended key ID of C2SP signed-note: SHA-256(name || 0x0A || type || key)[:4]."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def cosignature_message(text: str, timestamp: int) -> bytes:
    """What an Ed25519 cosignature signs (C2SP tlog-cosignature v1): header, time, body."""
    if not 0 <= timestamp < 2**63:
        raise IntegrityError(f"cosignature timestamp {timestamp} is out of range")
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


def cosignature_timestamp(signature: bytes) -> int:
    """The POSIX time a cosignature (``uint64 || sig``, without key hash) claims."""
    if len(signature) != 72:
        raise IntegrityError("a cosignature v1 is 8 timestamp bytes and 64 signature bytes")
    value = int.from_bytes(signature[:8], "big")
    if value >= 2**63:
        raise IntegrityError("cosignature timestamp exceeds 2**63 - 1")
    return value


def _check_name(name: str, what: str) -> None:
    if not name or any(c.isspace() for c in name) or "+" in name or _CONTROL.search(name):
        raise IntegrityError(f"{what} {name!r} must be non-empty, without spaces or '+'")


@dataclass(frozen=True, slots=True, kw_only=True)
class Checkpoint:
    """A log's tree head: origin, size and root (C2SP tlog-checkpoint)."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_name(self.origin, "checkpoint origin")
        if not 0 <= self.size < 2**63:
            raise IntegrityError(f"checkpoint size {self.size} is out of range")
        if len(self.root) != HASH_SIZE:
            raise IntegrityError("checkpoint root must be 32 bytes")
        for line in self.extensions:
            if not line or "\n" in line or _CONTROL.search(line):
                raise IntegrityError("checkpoint extension lines must be non-empty single lines")

    def body(self) -> str:
        """The note text: origin, size, base64 root and extension lines, each with a newline."""
        lines = [
            self.origin,
            str(self.size),
            base64.b64encode(self.root).decode(),
            *self.extensions,
        ]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Read a checkpoint body; raises :class:`IntegrityError` if it is not one."""
        if not text.endswith("\n"):
            raise IntegrityError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3 or not all(lines):
            raise IntegrityError("checkpoint needs origin, size and root on non-empty lines")
        if not _SIZE.fullmatch(lines[1]):
            raise IntegrityError("checkpoint size must be decimal without leading zeros")
        return cls(
            origin=lines[0],
            size=int(lines[1]),
            root=_b64(lines[2], "checkpoint root"),
            extensions=tuple(lines[3:]),
        )


def _b64(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise IntegrityError(f"{what} is not standard base64") from None
    # Only the canonical encoding is accepted, so that one note has one spelling.
    if base64.b64encode(raw).decode("ascii") != text:
        raise IntegrityError(f"{what} is not in canonical base64")
    return raw


@dataclass(frozen=True, slots=True, kw_only=True)
class NoteSignature:
    """One signature line of a note: key name, key hash and signature bytes."""

    name: str
    key_hash: int
    signature: bytes

    def line(self) -> str:
        """``— <name> <base64(key hash || signature)>`` with its newline."""
        blob = self.key_hash.to_bytes(4, "big") + self.signature
        return f"{_DASH}{self.name} {base64.b64encode(blob).decode()}\n"

    @classmethod
    def parse_line(cls, line: str) -> NoteSignature:
        """Read one signature line (without its newline); raises :class:`IntegrityError`."""
        if not line.startswith(_DASH):
            raise IntegrityError("a note signature line must start with an em dash and a space")
        name, sep, blob = line[len(_DASH) :].partition(" ")
        _check_name(name, "note key name")
        raw = _b64(blob, "note signature") if sep else b""
        if len(raw) < 5:
            raise IntegrityError("a note signature is a 4-byte key hash and a signature")
        return cls(name=name, key_hash=int.from_bytes(raw[:4], "big"), signature=raw[4:])


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedNote:
    """Note text and its signature lines (C2SP signed-note)."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def to_text(self) -> str:
        """The whole note: text, blank line, signature lines."""
        return self.text + "\n" + "".join(sig.line() for sig in self.signatures)

    def with_signatures(self, signatures: Iterable[NoteSignature]) -> SignedNote:
        """A copy with ``signatures`` added, skipping any already present for that key."""
        have = {(s.name, s.key_hash) for s in self.signatures}
        added = []
        for sig in signatures:
            if (sig.name, sig.key_hash) not in have:
                have.add((sig.name, sig.key_hash))
                added.append(sig)
        return SignedNote(text=self.text, signatures=(*self.signatures, *added))

    @classmethod
    def parse(cls, note: str | bytes) -> SignedNote:
        """Split a note into text and signatures; raises :class:`IntegrityError` if malformed."""
        if isinstance(note, bytes):
            if len(note) > _MAX_NOTE:
                raise IntegrityError("signed note is too long")
            try:
                note = note.decode("utf-8")
            except UnicodeDecodeError:
                raise IntegrityError("signed note is not UTF-8") from None
        if len(note) > _MAX_NOTE or _CONTROL.search(note) or not note.endswith("\n"):
            raise IntegrityError("signed note holds control characters or lacks a final newline")
        split = note.rfind("\n\n")
        if split < 0:
            raise IntegrityError("signed note has no blank line before its signatures")
        lines = note[split + 2 : -1].split("\n")
        if len(lines) > MAX_SIGNATURES:
            raise IntegrityError(f"signed note has more than {MAX_SIGNATURES} signatures")
        sigs = tuple(NoteSignature.parse_line(line) for line in lines)
        keys = [(sig.name, sig.key_hash) for sig in sigs]
        if len(set(keys)) != len(keys):
            # Go's sumdb/note refuses a repeated signature by one key as well.
            raise IntegrityError("signed note repeats a signature by the same key")
        return cls(text=note[: split + 1], signatures=sigs)


def open_note(note: SignedNote, verifiers: Sequence[NoteVerifier]) -> list[NoteVerifier]:
    """The known keys whose signatures on ``note`` verify (C2SP signed-note, Signatures).

    Signatures from unknown keys are ignored; a known key whose signature fails makes the
    whole note fail. Raises :class:`IntegrityError` when no known key signed it.
    """
    known = {(v.name, v.key_hash): v for v in verifiers}
    text = note.text.encode()
    good: list[NoteVerifier] = []
    for sig in note.signatures:
        verifier = known.get((sig.name, sig.key_hash))
        if verifier is None:
            continue
        verifier.verify(text, sig.signature)
        if verifier not in good:
            good.append(verifier)
    if not good:
        raise IntegrityError("no trusted key signed the note")
    return good


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedCheckpoint:
    """A checkpoint whose log signature verified, with the cosigners that verified too."""

    checkpoint: Checkpoint
    note: SignedNote
    log_key: str
    cosigners: tuple[tuple[str, int], ...]


def open_checkpoint(
    note: str | bytes | SignedNote,
    *,
    verifiers: Sequence[NoteVerifier],
    origin: str | None = None,
    quorum: int = 0,
) -> VerifiedCheckpoint:
    """Parse a signed checkpoint and verify it (C2SP tlog-checkpoint, tlog-cosignature).

    A log key (type 0x01) named after the checkpoint's origin must have signed it; trusted
    witness keys (type 0x04) are checked too, and at least ``quorum`` **distinct** witness
    keys of parties other than the log's must verify: a key is counted once whatever names
    it is trusted under, and a witness key named under the origin (``<origin>/...``) or
    equal to a log key is the log's own party's, which never counts. Raises
    :class:`IntegrityError` on any failure, including an origin other than ``origin``.
    """
    signed = note if isinstance(note, SignedNote) else SignedNote.parse(note)
    checkpoint = Checkpoint.parse(signed.text)
    if origin is not None and checkpoint.origin != origin:
        raise IntegrityError(f"checkpoint is from {checkpoint.origin!r}, not {origin!r}")
    good = open_note(signed, verifiers)
    logs = [v for v in good if v.signature_type == ED25519 and v.name == checkpoint.origin]
    if not logs:
        raise IntegrityError(f"checkpoint of {checkpoint.origin!r} lacks a trusted log signature")
    own = {v.public_key for v in logs}
    cosigners, counted = [], set()
    for sig in signed.signatures:
        match = [v for v in good if (v.name, v.key_hash) == (sig.name, sig.key_hash)]
        if not match or match[0].signature_type != COSIGNATURE_V1:
            continue
        witness = match[0]
        independent = not (
            witness.name == checkpoint.origin
            or witness.name.startswith(checkpoint.origin + "/")
            or witness.public_key in own
            or witness.public_key in counted
        )
        if independent:
            counted.add(witness.public_key)
            cosigners.append((sig.name, cosignature_timestamp(sig.signature)))
    if len(cosigners) < quorum:
        raise IntegrityError(
            f"checkpoint has {len(cosigners)} independent trusted witness cosignatures; "
            f"{quorum} needed"
        )
    return VerifiedCheckpoint(
        checkpoint=checkpoint, note=signed, log_key=logs[0].name, cosigners=tuple(cosigners)
    )


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> SignedNote:
    """The checkpoint as a note signed by the log's key (whose name must be the origin).

    Raises :class:`IntegrityError` when the signer's name is not the checkpoint's origin.
    """
    if signer.name != checkpoint.origin:
        raise IntegrityError(f"key {signer.name!r} cannot sign for origin {checkpoint.origin!r}")
    text = checkpoint.body()
    sig = NoteSignature(
        name=signer.name, key_hash=signer.key_hash, signature=signer.sign(text.encode())
    )
    return SignedNote(text=text, signatures=(sig,))


def cosign_checkpoint(
    note: SignedNote, signer: CosignatureSigner, *, timestamp: int
) -> NoteSignature:
    """A witness's cosignature line over ``note``'s text at POSIX time ``timestamp``."""
    sig = signer.sign(note.text.encode(), timestamp=timestamp)
    return NoteSignature(name=signer.name, key_hash=signer.key_hash, signature=sig)

"""Messages between nodes: a signed document carrying one JSON object (message-v1), and
optionally binary parts after it (message-v2).

Every message names its id (time-ordered, 80 random bits; the key of exactly-once
handling), its kind, sender, recipient, agreement and the sender's time; the body is
kind-specific. The whole is signed by the sender's node key under the agreement
(``crypto.sign_document``), so a message cannot be replayed under another id, agreement
or recipient unnoticed. Small binary fields (signed consents, notes) travel base64-encoded
in the body. Bulk binary data (the sealed envelopes and bindings of a transfer) travels as
``parts``: length-prefixed after the signed document, which commits to their SHA-256, so
the signature covers them without the signing key hashing megabytes and without base64.
Layout: ``docs/formats/message-v1.md`` and ``docs/formats/message-v2.md``.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import json
import re
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from gsomia.crypto import Keyring, open_document, peek_document, sign_document
from gsomia.errors import InputError, IntegrityError

__all__ = ["MESSAGE_FORMAT", "PARTS_FORMAT", "Kind", "Message", "b64", "decode", "encode", "unb64"]

MESSAGE_FORMAT = "gsomia/message-v1"
PARTS_FORMAT = "gsomia/message-v2"
_PARTS_MAGIC = b"GSM\x02"
_U32 = struct.Struct(">I")
_ID = re.compile(r"^[0-9a-f]{32}$")
_PARTY = re.compile(r"^[A-Z]{3}$")
#: How far a message's time may be from the receiver's clock (replay window, both ways).
MAX_SKEW = timedelta(days=1)


class Kind(enum.StrEnum):
    """What a message is."""

    TRANSFER = "transfer"  # sealed items (JK-9.1)
    RECEIPT = "receipt"  # the reply to a transfer: accepted and refused items
    ACK = "ack"  # the reply to any other message
    CONSENT_REQUEST = "consent-request"  # JK-5.1, JK-5.2, TI-3
    CONSENT_DECISION = "consent-decision"
    RECLASSIFICATION = "reclassification"  # JK-6.g
    INCIDENT = "incident"  # JK-17.1: notice, investigation, result
    NOTE = "note"  # a diplomatic note on the agreement (JK-21)
    LAW_NOTICE = "law-notice"  # JK-3.2
    VISIT = "visit"  # JK-8.1, JK-18.1
    RETURN = "return"  # JK-6.h: the item comes back to its originator
    CHECKPOINT = "checkpoint"  # a checkpoint to cosign (witnessing)
    WARNING = "warning"  # missile-warning frames (RT-1)
    ASSURANCE = "assurance"  # JK-7.4: before a hand-over in person


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """One message, verified or about to be signed."""

    id: str
    kind: Kind
    sender: str
    recipient: str
    agreement_id: str
    sent_at: datetime
    body: dict[str, Any]
    parts: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        if not _ID.fullmatch(self.id):
            raise InputError("message id must be 32 lower-case hex digits")
        if not (_PARTY.fullmatch(self.sender) and _PARTY.fullmatch(self.recipient)):
            raise InputError("message parties must be three-letter codes")
        if self.sent_at.tzinfo is None:
            raise InputError("message time must be timezone-aware")


def encode(keyring: Keyring, message: Message) -> bytes:
    """Sign ``message`` as this node; raises InputError if the node is not its sender."""
    if message.sender != keyring.party:
        raise InputError(f"{keyring.party} cannot send a message as {message.sender}")
    obj = {
        "format": MESSAGE_FORMAT,
        "id": message.id,
        "kind": message.kind.value,
        "from": message.sender,
        "to": message.recipient,
        "agreement": message.agreement_id,
        "sent_at": message.sent_at.astimezone(UTC).isoformat(),
        "body": message.body,
    }
    # The parts are hashed piece by piece and copied once, into the message itself.
    section = [x for part in message.parts for x in (_U32.pack(len(part)), part)]
    if message.parts:
        digest = hashlib.sha256()
        for piece in section:
            digest.update(piece)
        obj["format"] = PARTS_FORMAT
        obj["parts"] = {"count": len(message.parts), "sha256": digest.hexdigest()}
    body = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    document = sign_document(keyring=keyring, agreement_id=message.agreement_id, body=body.encode())
    if not message.parts:
        return document
    return b"".join([_PARTS_MAGIC, _U32.pack(len(document)), document, *section])


def sender_of(blob: bytes) -> tuple[str, str]:
    """The claimed sender and agreement, unverified, to choose the keys to check with."""
    doc = peek_document(_split(blob)[0])
    return doc.signer, doc.agreement_id


def decode(
    keyring: Keyring, blob: bytes, *, now: datetime | None = None, outgoing: bool = False
) -> Message:
    """Verify and parse a message addressed to this node, or with ``outgoing`` one this
    node signed itself (its outbox: the delivery pump re-reads what it queued, signature
    checked, before it joins transfers into one).

    Raises :class:`IntegrityError` if the signature, signer, recipient or time do not hold,
    :class:`InputError` if the body is malformed.
    """
    document, section = _split(blob)
    doc = open_document(keyring=keyring, blob=document)
    try:
        obj = json.loads(doc.body)
        message = Message(
            id=obj["id"],
            kind=Kind(obj["kind"]),
            sender=obj["from"],
            recipient=obj["to"],
            agreement_id=obj["agreement"],
            sent_at=datetime.fromisoformat(obj["sent_at"]),
            body=obj["body"],
            parts=() if section is None else _parts(obj.get("parts"), section),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"malformed message: {exc}") from None
    wanted = MESSAGE_FORMAT if section is None else PARTS_FORMAT
    if obj.get("format") != wanted or not isinstance(message.body, dict):
        raise InputError("malformed message: unknown format")
    if message.sender != doc.signer or message.agreement_id != doc.agreement_id:
        raise IntegrityError("the message was not signed by its sender under its agreement")
    if outgoing:
        if message.sender != keyring.party:
            raise IntegrityError(f"the message is from {message.sender}, not this node")
    elif message.recipient != keyring.party:
        raise IntegrityError(
            f"the message is addressed to {message.recipient}, not {keyring.party}"
        )
    if now is not None and abs(now - message.sent_at) > MAX_SKEW:
        raise IntegrityError("the message's time is outside the accepted window (replay?)")
    return message


def _split(blob: bytes) -> tuple[bytes, memoryview | None]:
    """The signed document and, for message-v2, a view of the parts section after it (not
    a copy); raises the opaque IntegrityError on a truncated frame."""
    if blob[:4] != _PARTS_MAGIC:
        return blob, None
    if len(blob) < 8:
        raise IntegrityError("the message frame is truncated")
    (size,) = _U32.unpack_from(blob, 4)
    if len(blob) < 8 + size:
        raise IntegrityError("the message frame is truncated")
    return blob[8 : 8 + size], memoryview(blob)[8 + size :]


def _parts(spec: Any, section: memoryview) -> tuple[bytes, ...]:
    """The parts of a verified message-v2: the section must hash to the signed digest (else
    IntegrityError) and hold exactly the signed count of length-prefixed parts (else
    InputError)."""
    if not isinstance(spec, dict) or not isinstance(spec.get("sha256"), str):
        raise InputError("malformed message: no parts digest")
    if not hmac.compare_digest(hashlib.sha256(section).hexdigest(), spec["sha256"]):
        raise IntegrityError("the message's parts do not match its signed digest")
    parts, pos, end, unpack = [], 0, len(section), _U32.unpack_from
    while pos < end:
        if pos + 4 > end:
            raise InputError("malformed message: a truncated part")
        (size,) = unpack(section, pos)
        pos += 4 + size
        if pos > end:
            raise InputError("malformed message: a truncated part")
        parts.append(bytes(section[pos - size : pos]))
    if spec.get("count") != len(parts) or not parts:
        raise InputError("malformed message: the parts do not match their count")
    return tuple(parts)


def b64(data: bytes) -> str:
    """Standard base64 text of ``data``."""
    return base64.b64encode(data).decode("ascii")


def unb64(text: Any, *, what: str) -> bytes:
    """Bytes from base64 text; raises InputError naming ``what``."""
    if not isinstance(text, str):
        raise InputError(f"{what}: base64 text expected")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise InputError(f"{what}: not valid base64") from None

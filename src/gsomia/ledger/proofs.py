"""Inclusion-proof documents (inclusion-proof-v1): what a node hands a partner to check offline.

A document proves that one or more ledger entries about an item are in the node's log, as
of a signed (and possibly cosigned) checkpoint. It is self-contained: the entry bytes, each
entry's index and RFC 9162 inclusion proof, and the whole signed note. The partner needs
only the node's log key and, for a quorum, its witnesses' keys.

The JSON object (UTF-8, any whitespace) has the members::

    format      "gsomia/inclusion-proof-v1"
    origin      the log's origin
    item        the item id the entries are about
    checkpoint  the signed note text (checkpoint body, blank line, signature lines)
    tree_size   the checkpoint's tree size
    root        the checkpoint's root hash, base64
    entries     [{"index": n, "entry": base64 bytes, "proof": [base64 hashes]}]

:func:`check_proof_document` trusts nothing but the keys it is given: the size and root it
checks against are read from the verified note, never from the document's own members,
which must merely agree. Every failure raises :class:`~gsomia.errors.IntegrityError`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gsomia.errors import InputError, IntegrityError
from gsomia.ledger.checkpoint import NoteVerifier, open_checkpoint
from gsomia.ledger.entries import LedgerEntry
from gsomia.ledger.merkle import leaf_hash, verify_inclusion

__all__ = ["PROOF_FORMAT", "CheckedProof", "ProvenEntry", "check_proof_document", "proof_document"]

PROOF_FORMAT = "gsomia/inclusion-proof-v1"
_MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True, kw_only=True)
class ProvenEntry:
    """One entry of a document: its index, bytes and inclusion proof."""

    index: int
    entry: bytes
    proof: tuple[bytes, ...]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def proof_document(
    *,
    origin: str,
    item_id: str,
    note: str,
    tree_size: int,
    root: bytes,
    entries: Sequence[ProvenEntry],
) -> dict[str, Any]:
    """The inclusion-proof-v1 JSON object for ``entries`` under the signed ``note``."""
    return {
        "format": PROOF_FORMAT,
        "origin": origin,
        "item": item_id,
        "checkpoint": note,
        "tree_size": tree_size,
        "root": _b64(root),
        "entries": [
            {"index": e.index, "entry": _b64(e.entry), "proof": [_b64(p) for p in e.proof]}
            for e in entries
        ],
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckedProof:
    """What a verified document established."""

    origin: str
    item_id: str
    tree_size: int
    root: bytes
    log_key: str
    cosigners: tuple[tuple[str, int], ...]
    entries: tuple[tuple[int, LedgerEntry], ...]


def _field(doc: dict[str, Any], name: str, kind: type) -> Any:
    value = doc.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise IntegrityError(f"proof document: {name} is missing or not a {kind.__name__}")
    return value


def _unb64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise IntegrityError(f"proof document: {what} is not a base64 string")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise IntegrityError(f"proof document: {what} is not base64") from None


def _entry(raw: Any, tree_size: int, root: bytes, item_id: str) -> tuple[int, LedgerEntry]:
    if not isinstance(raw, dict) or set(raw) != {"index", "entry", "proof"}:
        raise IntegrityError("proof document: an entry must hold index, entry and proof")
    index = raw["index"]
    if not isinstance(index, int) or isinstance(index, bool) or not isinstance(raw["proof"], list):
        raise IntegrityError("proof document: entry index must be an integer, proof a list")
    data = _unb64(raw["entry"], f"entry {index}")
    proof = [_unb64(p, f"proof of entry {index}") for p in raw["proof"]]
    verify_inclusion(
        leaf_hash=leaf_hash(data), index=index, tree_size=tree_size, proof=proof, root=root
    )
    try:
        entry = LedgerEntry.from_bytes(data)
    except InputError as exc:
        raise IntegrityError(
            f"proof document: entry {index} is not ledger-entry-v1 ({exc})"
        ) from None
    if entry.item_id != item_id:
        raise IntegrityError(f"proof document: entry {index} is not about item {item_id}")
    return index, entry


def check_proof_document(
    document: str | bytes | dict[str, Any], *, verifiers: Sequence[NoteVerifier], quorum: int = 0
) -> CheckedProof:
    """Verify an inclusion-proof-v1 document against trusted keys, offline.

    The note must carry a verifying signature by the log key named after its origin and at
    least ``quorum`` verifying witness cosignatures; every entry must be included in the tree
    of that note at its index. Raises :class:`IntegrityError` on any failure.
    """
    try:
        doc = json.loads(document) if isinstance(document, str | bytes) else document
    except (UnicodeDecodeError, ValueError):
        raise IntegrityError("proof document is not JSON") from None
    if not isinstance(doc, dict) or doc.get("format") != PROOF_FORMAT:
        raise IntegrityError(f"not a {PROOF_FORMAT} document")
    verified = open_checkpoint(
        _field(doc, "checkpoint", str),
        verifiers=verifiers,
        origin=_field(doc, "origin", str),
        quorum=quorum,
    )
    cp = verified.checkpoint
    if _field(doc, "tree_size", int) != cp.size or _unb64(doc.get("root"), "root") != cp.root:
        raise IntegrityError("proof document: size or root differ from the signed checkpoint")
    item_id = _field(doc, "item", str)
    raw_entries = _field(doc, "entries", list)
    if not raw_entries or len(raw_entries) > _MAX_ENTRIES:
        raise IntegrityError("proof document: it must prove at least one entry")
    entries = tuple(_entry(raw, cp.size, cp.root, item_id) for raw in raw_entries)
    return CheckedProof(
        origin=cp.origin,
        item_id=item_id,
        tree_size=cp.size,
        root=cp.root,
        log_key=verified.log_key,
        cosigners=verified.cosigners,
        entries=entries,
    )

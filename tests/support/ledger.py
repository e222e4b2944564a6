"""Shared helpers for the ledger tests: fixed keys, entry factories and a two-node world."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gsomia.crypto.signed_notes import (
    Ed25519CosignatureSigner,
    Ed25519NoteSigner,
    Ed25519NoteVerifier,
    generate_signer_key,
    parse_cosigner_key,
    parse_signer_key,
    parse_verifier_key,
)
from gsomia.ledger.entries import Actor, Event, LedgerEntry
from gsomia.ports.ledger import LedgerStore
from gsomia.services.plumbing.audit import AuditService

JPN_LOG = "jpn.gsomia.example/ledger"
KOR_LOG = "kor.gsomia.example/ledger"
JPN_WITNESS = "jpn.gsomia.example/witness"
KOR_WITNESS = "kor.gsomia.example/witness"
ITEM = "0123456789abcdef0123456789abcdef"
OTHER_ITEM = "fedcba9876543210fedcba9876543210"
T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Keys:
    """A party's log signer and witness cosigner, made from fixed seeds."""

    signer: Ed25519NoteSigner
    cosigner: Ed25519CosignatureSigner
    log_vkey: str
    witness_vkey: str


def keys(name: str, witness: str, seed: int) -> Keys:
    skey, vkey = generate_signer_key(name, seed=bytes([seed]) * 32)
    wkey, _ = generate_signer_key(witness, seed=bytes([seed + 1]) * 32)
    cosigner = parse_cosigner_key(wkey)
    return Keys(parse_signer_key(skey), cosigner, vkey, cosigner.verifier().key_string())


JPN = keys(JPN_LOG, JPN_WITNESS, 1)
KOR = keys(KOR_LOG, KOR_WITNESS, 3)


def trusted() -> list[Ed25519NoteVerifier]:
    """Every key both parties trust: both logs and both witnesses."""
    return [
        parse_verifier_key(k)
        for k in (JPN.log_vkey, JPN.witness_vkey, KOR.log_vkey, KOR.witness_vkey)
    ]


def entry(
    event: Event = Event.ITEM_PROVIDED,
    item: str | None = ITEM,
    *,
    minutes: int = 0,
    party: str = "JPN",
    rules: Sequence[str] = ("JK-7.2",),
) -> LedgerEntry:
    return LedgerEntry(
        agreement_id="jp-kr-2016",
        event=event,
        item_id=item,
        rule_ids=tuple(rules),
        actor=Actor(party=party, person="tanaka"),
        at=T0 + timedelta(minutes=minutes),
        details={"counterparty": "KOR"},
    )


def service(store: LedgerStore, party: Keys) -> AuditService:
    return AuditService(
        store=store, trusted=trusted(), signer=party.signer, cosigner=party.cosigner
    )


def trusted_keys_text() -> str:
    return "\n".join(
        ["# log and witness keys", JPN.log_vkey, JPN.witness_vkey, KOR.log_vkey, KOR.witness_vkey]
    )

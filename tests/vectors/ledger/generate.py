"""Write the ledger-entry-v1, checkpoint and inclusion-proof-v1 vectors.

Run ``python tests/vectors/ledger/generate.py`` from the repository root after a deliberate
format change; ``test_ledger_vectors.py`` then checks gsomia against the files and checks
the signatures with ``cryptography`` directly. ``rfc6962.json`` and ``signed-note.json`` are
published vectors of other implementations and are not generated here. Every input is fixed.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2] / "src"))

from gsomia.crypto.signed_notes import generate_signer_key, parse_cosigner_key, parse_signer_key  # noqa: E402
from gsomia.ledger import merkle  # noqa: E402
from gsomia.ledger.checkpoint import Checkpoint, cosign_checkpoint, sign_checkpoint  # noqa: E402
from gsomia.ledger.entries import Actor, Event, LedgerEntry  # noqa: E402
from gsomia.ledger.proofs import ProvenEntry, proof_document  # noqa: E402

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ITEM = "0123456789abcdef0123456789abcdef"
ENTRIES = [
    LedgerEntry(
        agreement_id="jp-kr-2016",
        event=Event.ITEM_PROVIDED,
        item_id=ITEM,
        rule_ids=("JK-7.5", "JK-9"),
        actor=Actor(party="JPN", person="mod-tanaka"),
        at=NOW,
        details={
            "counterparty": "KOR",
            "label": "sha256:" + "ab" * 32,
            "level": "JPN:GOKUHI",
            "transfer": "t-0001",
        },
    ),
    LedgerEntry(
        agreement_id="jp-kr-2016",
        event=Event.ITEM_OPENED,
        item_id=ITEM,
        rule_ids=("JK-7.1", "JK-7.2"),
        actor=Actor(party="KOR", person="mnd-kim"),
        at=datetime(2026, 11, 28, 12, 5, 30, 123456, tzinfo=UTC),
        details={"equivalent_level": "KOR:MIL_II", "facility": "mnd-seoul-1"},
    ),
    LedgerEntry(
        agreement_id="jp-kr-2016",
        event=Event.NOTICE_WITHDRAWN,
        item_id=None,
        rule_ids=(),
        actor=Actor(party="KOR", person="mofa-desk"),
        at=datetime(2023, 3, 21, 0, 0, tzinfo=UTC),
        details={"notice": "n-2019-08-23"},
    ),
]


def entry_vectors() -> dict[str, Any]:
    cases = []
    for e in ENTRIES:
        data = e.to_bytes()
        fields = {
            "agreement_id": e.agreement_id,
            "event": e.event.value,
            "item_id": e.item_id,
            "rule_ids": list(e.rule_ids),
            "actor": {"party": e.actor.party, "person": e.actor.person},
            "at": e.at.isoformat(),
            "details": dict(e.details),
        }
        cases.append(
            {
                "fields": fields,
                "bytes_utf8": data.decode(),
                "leaf_hash_hex": merkle.leaf_hash(data).hex(),
            }
        )
    root = merkle.root([merkle.leaf_hash(e.to_bytes()) for e in ENTRIES])
    return {"format": "gsomia/ledger-entry-v1", "entries": cases, "tree_root_hex": root.hex()}


def checkpoint_vectors(root: bytes) -> dict[str, Any]:
    log_seed, witness_seed = bytes(range(32)), bytes(range(32, 64))
    skey, vkey = generate_signer_key("jpn.gsomia.example/ledger", seed=log_seed)
    wkey, _ = generate_signer_key("kor.gsomia.example/witness", seed=witness_seed)
    cosigner = parse_cosigner_key(wkey)
    checkpoint = Checkpoint(origin="jpn.gsomia.example/ledger", size=len(ENTRIES), root=root)
    note = sign_checkpoint(checkpoint, parse_signer_key(skey))
    stamp = int(NOW.timestamp())
    cosignature = cosign_checkpoint(note, cosigner, timestamp=stamp)
    return {
        "log": {"seed_hex": log_seed.hex(), "signer_key": skey, "verifier_key": vkey},
        "witness": {
            "seed_hex": witness_seed.hex(),
            "signer_key": wkey,
            "verifier_key": cosigner.verifier().key_string(),
        },
        "checkpoint": {
            "origin": checkpoint.origin,
            "size": checkpoint.size,
            "root_hex": root.hex(),
            "body": checkpoint.body(),
        },
        "signed_note": note.to_text(),
        "cosignature": {
            "timestamp": stamp,
            "message": f"cosignature/v1\ntime {stamp}\n{checkpoint.body()}",
            "line": cosignature.line(),
        },
        "cosigned_note": note.with_signatures([cosignature]).to_text(),
    }


def proof_vectors(checkpoints: dict[str, Any]) -> dict[str, Any]:
    """The inclusion-proof-v1 document for the two entries about ``ITEM``, under the
    cosigned checkpoint of ``checkpoint.json``."""
    leaves = [merkle.leaf_hash(e.to_bytes()) for e in ENTRIES]
    about = [i for i, e in enumerate(ENTRIES) if e.item_id == ITEM]
    document = proof_document(
        origin="jpn.gsomia.example/ledger",
        item_id=ITEM,
        note=checkpoints["cosigned_note"],
        tree_size=len(ENTRIES),
        root=bytes.fromhex(checkpoints["checkpoint"]["root_hex"]),
        entries=[
            ProvenEntry(
                index=i,
                entry=ENTRIES[i].to_bytes(),
                proof=tuple(merkle.inclusion_proof(leaves, i)),
            )
            for i in about
        ],
    )
    return {
        "log_verifier_key": checkpoints["log"]["verifier_key"],
        "witness_verifier_key": checkpoints["witness"]["verifier_key"],
        "document": document,
    }


def main() -> None:
    entries = entry_vectors()
    checkpoints = checkpoint_vectors(bytes.fromhex(entries["tree_root_hex"]))
    proofs = proof_vectors(checkpoints)
    for name, value in (
        ("ledger-entry-v1.json", entries),
        ("checkpoint.json", checkpoints),
        ("inclusion-proof-v1.json", proofs),
    ):
        text = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
        (HERE / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()

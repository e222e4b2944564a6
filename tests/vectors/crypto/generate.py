"""Write the label-v2, envelope-v2 and binding-v2 vectors.

Run ``python tests/vectors/crypto/generate.py`` from the repository root after a deliberate
format change; the tests then check gsomia against the files, and check the files against an
independent decoder written from ``docs/formats/`` alone. Every random input is fixed here
but one: the HPKE encapsulation of each wrap key draws its own ephemeral key (RFC 9180
§4.1; pyca/cryptography takes no fixed one), so the wraps differ from run to run while the
content, commitment and every other field do not.

The label-v1, envelope-v1, binding-v1, frame-v1, item-key-v1 and keyring-v1 files are
frozen: they were written by this script's earlier revision, when items were sealed under
label-v1, and are kept to show that such items still parse, verify and open.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2] / "src"))
sys.path.insert(0, str(HERE.parents[2]))

from gsomia import crypto  # noqa: E402
from gsomia.core.labels import Label  # noqa: E402
from tests.support.vectors import fixed_bytes, keyring_seeds, paired_keyrings  # noqa: E402

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
AGREEMENT = "jpn-kor-gsomia"
DOMAIN = "gsomia test vector"


def fixed(name: str, size: int = 32) -> bytes:
    """A fixed pseudo-random value named ``name``."""
    return fixed_bytes(DOMAIN, name, size)


PARTIES = {party: keyring_seeds(DOMAIN, f"{party} ") for party in ("JPN", "KOR")}


def keyrings() -> dict[str, crypto.Keyring]:
    """JPN and KOR from the fixed seeds, each registered with the other."""
    return paired_keyrings(PARTIES, now=NOW, agreement_id=AGREEMENT)


CONTENTS = [
    "Launch detected 2026-11-28T11:58:02Z, 38.99N 125.75E, azimuth 095.",
    "Track 17: apogee about 1,100 km; predicted impact in the sea east of Hokkaido.",
    "Boost phase ended at T+71 s; second stage separation observed.",
]


def label_fields(index: int) -> dict[str, Any]:
    return {
        "item_id": fixed(f"item {index}", 16).hex(),
        "agreement_id": AGREEMENT,
        "agreement_version": "2016",
        "originator": "JPN",
        "level": "JPN:GOKUHI",
        "equivalents": [["KOR", "KOR:GUNSA_II"]],
        "releasable_to": ["KOR"],
        "route": [],
        "topic": "nk-missile",
        "purpose": 'Early warning of ballistic missile launches ("TISA" §1)\n',
        "created_at": "2026-11-28T12:00:00.000000Z",
        "review_on": "2027-11-28",
        "revision": 1,
        "supersedes": None,
        "marked_by": None,
    }


def make_label(fields: dict[str, Any]) -> Label:
    return Label(
        item_id=fields["item_id"],
        agreement_id=fields["agreement_id"],
        agreement_version=fields["agreement_version"],
        originator=fields["originator"],
        level=fields["level"],
        equivalents=tuple(tuple(pair) for pair in fields["equivalents"]),  # type: ignore[misc]
        releasable_to=tuple(fields["releasable_to"]),
        route=tuple(fields["route"]),
        topic=fields["topic"],
        purpose=fields["purpose"],
        created_at=datetime.fromisoformat(fields["created_at"][:-1]).replace(tzinfo=UTC),
        review_on=date.fromisoformat(fields["review_on"]),
        revision=fields["revision"],
        supersedes=fields["supersedes"],
        marked_by=fields["marked_by"],
    )


def seal_inputs(index: int) -> dict[str, str]:
    return {
        "data_key": fixed(f"data key {index}").hex(),
        "nonce": fixed(f"nonce {index}", 12).hex(),
        "wrap_nonce_JPN": fixed(f"wrap nonce JPN {index}", 12).hex(),
        "wrap_nonce_KOR": fixed(f"wrap nonce KOR {index}", 12).hex(),
    }


def build() -> dict[str, dict[str, Any]]:
    """Every vector file's content."""
    rings = keyrings()
    common = {"now": "2026-11-28T12:00:00Z", "agreement": AGREEMENT, "parties": PARTIES}
    labels, envelopes, items = [], [], []
    for index, text in enumerate(CONTENTS):
        fields = label_fields(index)
        label = make_label(fields)
        inputs = seal_inputs(index)
        envelope = crypto.seal_at(
            keyring=rings["JPN"],
            plaintext=text.encode(),
            label=label,
            holders=("JPN", "KOR"),
            data_key=bytes.fromhex(inputs["data_key"]),
            nonce=bytes.fromhex(inputs["nonce"]),
            wrap_nonces=[bytes.fromhex(inputs[f"wrap_nonce_{p}"]) for p in ("JPN", "KOR")],
        )
        labels.append(
            {
                "fields": fields,
                "canonical": label.canonical_bytes().decode("utf-8"),
                "digest": label.digest(),
            }
        )
        envelopes.append(envelope)
        items.append(
            {
                "content": text,
                "label_canonical": label.canonical_bytes().decode("utf-8"),
                "holders": ["JPN", "KOR"],
                **inputs,
                "commitment": envelope.commitment.hex(),
                "envelope": envelope.to_bytes().hex(),
            }
        )
    bindings = crypto.bind(keyring=rings["JPN"], envelopes=envelopes)
    return {
        "label-v2": {"labels": labels},
        "envelope-v2": {**common, "items": items},
        "binding-v2": {
            **common,
            "signer": "JPN",
            "batch": [
                {"envelope": e.to_bytes().hex(), "binding": b.to_bytes().hex()}
                for e, b in zip(envelopes, bindings, strict=True)
            ],
        },
    }


def main() -> None:
    for name, content in build().items():
        path = HERE / f"{name}.json"
        path.write_text(json.dumps(content, indent=1, ensure_ascii=False) + "\n", "utf-8")


if __name__ == "__main__":
    main()

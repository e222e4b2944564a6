"""Write the vectors of the documents nodes sign for each other, and of the shared warning.

Run ``python tests/vectors/documents/generate.py`` from the repository root after a
deliberate format change. Every input is fixed and Ed25519 signatures are deterministic
(RFC 8032), so the files are the same on every run; ``test_document_vectors.py`` builds them
again and compares, and reads each one back through the code that receives it.

Each signed document is canonical JSON (``gsomia.core.canonical``) with its ``format``
member, signed as document-v1 by the giving node's document key under one agreement.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2] / "src"))
sys.path.insert(0, str(HERE.parents[2]))

from gsomia import crypto  # noqa: E402
from gsomia.agreement_files import load_library  # noqa: E402
from gsomia.core.agreements import AgreementEvent, EventKind  # noqa: E402
from gsomia.core.canonical import canonical_json  # noqa: E402
from gsomia.formats.messages import Kind, Message, b64, encode  # noqa: E402
from gsomia.records import AssuranceRecord  # noqa: E402
from gsomia.services.acts.assurances import ASSURANCE_FORMAT  # noqa: E402
from gsomia.services.acts.consent import CONSENT_FORMAT  # noqa: E402
from gsomia.services.acts.notes import NOTE_FORMAT, _note_body  # noqa: E402
from gsomia.services.acts.reclassification import NOTICE_FORMAT  # noqa: E402
from gsomia.warning.tracking.sharing import WARNING_FORMAT, SharedWarning  # noqa: E402
from tests.support.vectors import fixed_bytes, keyring_seeds, paired_keyrings, write_vectors  # noqa: E402

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
AGREEMENT = "jpn-kor-gsomia"
PROPOSAL_FORMAT = "gsomia/amendment-proposal-v1"
ACCEPTANCE_FORMAT = "gsomia/amendment-acceptance-v1"
DOMAIN = "gsomia document vector"


def fixed(name: str, size: int = 32) -> bytes:
    """A fixed pseudo-random value named ``name``."""
    return fixed_bytes(DOMAIN, name, size)


PARTIES = {party: keyring_seeds(DOMAIN, f"{party} ") for party in ("JPN", "KOR")}


def keyrings() -> dict[str, crypto.Keyring]:
    """JPN and KOR from the fixed seeds, each registered with the other."""
    return paired_keyrings(PARTIES, now=NOW, agreement_id=AGREEMENT)


def ident(name: str) -> str:
    return fixed(name, 16).hex()


def bodies() -> dict[str, tuple[str, dict[str, Any]]]:
    """Each document's signer and body, built as the giving service builds it."""
    agreement = load_library([]).get(AGREEMENT)
    event = AgreementEvent(
        id=ident("note"),
        kind=EventKind.NOTICE,
        by="JPN",
        at=NOW,
        note="Japan gives written notice of its intention to terminate the Agreement.",
        of=(),
        terminates_at=None,
    )
    note = {**_note_body(agreement, event, NOW + timedelta(days=90)), "person": "jpn-mofa-1"}
    assurance = AssuranceRecord(
        id=ident("assurance"),
        state="given",
        role="giver",
        agreement=AGREEMENT,
        party="KOR",
        subject="kor-liaison-1",
        level="JPN:HI",
        topic="missile-warning",
        valid_until="2026-12-31",
        at=NOW.isoformat(),
        by="kor-so-1",
    )
    return {
        CONSENT_FORMAT: (
            "JPN",
            {
                "format": CONSENT_FORMAT,
                "request": ident("consent request"),
                "item": ident("item"),
                "kind": "release",
                "to_party": "USA",
                "purpose": None,
                "originator": "JPN",
                "requester": "KOR",
                "granted": True,
                "decided_at": NOW.isoformat(),
                "by": "jpn-so-1",
                "note": "Released for the trilateral exercise only.",
            },
        ),
        NOTICE_FORMAT: (
            "JPN",
            {
                "format": NOTICE_FORMAT,
                "notice": ident("reclassification"),
                "item": ident("item"),
                "agreement": AGREEMENT,
                "originator": "JPN",
                "previous_level": "JPN:GOKUHI",
                "level": "JPN:HI",
                "label": fixed("new label").hex(),
                "at": NOW.isoformat(),
                "by": "jpn-so-1",
                "text": "Downgraded after the launch was announced.",
            },
        ),
        NOTE_FORMAT: ("JPN", {"format": NOTE_FORMAT, **note}),
        PROPOSAL_FORMAT: (
            "JPN",
            {
                "format": PROPOSAL_FORMAT,
                "agreement": AGREEMENT,
                "proposal": ident("proposal"),
                "by": "JPN",
                "at": NOW.isoformat(),
                "text": "Add an annex on satellite warnings.",
            },
        ),
        ACCEPTANCE_FORMAT: (
            "KOR",
            {
                "format": ACCEPTANCE_FORMAT,
                "agreement": AGREEMENT,
                "proposal": ident("proposal"),
                "by": "KOR",
                "at": (NOW + timedelta(days=7)).isoformat(),
                "note": "Accepted.",
            },
        ),
        ASSURANCE_FORMAT: (
            "KOR",
            {"format": ASSURANCE_FORMAT, "assurance": assurance.id, **assurance.to_body()},
        ),
    }


def signed_vectors() -> dict[str, dict[str, Any]]:
    rings = keyrings()
    out = {}
    for fmt, (signer, body) in bodies().items():
        canonical = canonical_json(body)
        document = crypto.sign_document(
            keyring=rings[signer], agreement_id=AGREEMENT, body=canonical
        )
        out[fmt] = {
            "format": fmt,
            "agreement_id": AGREEMENT,
            "signer": signer,
            "parties": PARTIES,
            "body": body,
            "canonical": canonical.decode("utf-8"),
            "document_hex": document.hex(),
        }
    return out


def warning_vector() -> dict[str, Any]:
    warning = SharedWarning(
        format=WARNING_FORMAT,
        originator="KOR",
        warning_id="w17",
        t=412.5,
        state=(-3.1e6, 4.1e6, 3.9e6, 1200.0, -800.0, 1500.0),
        cov=tuple(
            tuple(400.0**2 if i == j and i < 3 else 9.0 if i == j else 0.0 for j in range(6))
            for i in range(6)
        ),
        launch=None,
        impact=None,
        powered=0.02,
    )
    return {"format": WARNING_FORMAT, "wire": warning.to_dict()}


def message_vectors() -> dict[str, dict[str, Any]]:
    """A message-v1 (a consent decision carrying the consent-v1 document) and a message-v2
    (a transfer with two binary parts), JPN to KOR."""
    jpn = keyrings()["JPN"]
    consent = signed_vectors()[CONSENT_FORMAT]
    plain = Message(
        id=ident("message one"),
        kind=Kind.CONSENT_DECISION,
        sender="JPN",
        recipient="KOR",
        agreement_id=AGREEMENT,
        sent_at=NOW,
        body={
            "request": consent["body"]["request"],
            "document": b64(bytes.fromhex(consent["document_hex"])),
        },
    )
    with_parts = Message(
        id=ident("message two"),
        kind=Kind.TRANSFER,
        sender="JPN",
        recipient="KOR",
        agreement_id=AGREEMENT,
        sent_at=NOW,
        body={"items": 2},
        parts=(fixed("sealed item 1", 24), fixed("sealed item 2", 16)),
    )
    out = {}
    for name, message in (("message-v1", plain), ("message-v2", with_parts)):
        out[name] = {
            "format": f"gsomia/{name}",
            "agreement_id": AGREEMENT,
            "signer": "JPN",
            "parties": PARTIES,
            "id": message.id,
            "kind": message.kind.value,
            "sent_at": message.sent_at.isoformat(),
            "body": message.body,
            "parts_hex": [part.hex() for part in message.parts],
            "message_hex": encode(jpn, message).hex(),
        }
    return out


def build() -> dict[str, dict[str, Any]]:
    """File name to content."""
    files = {f"{fmt.removeprefix('gsomia/')}.json": v for fmt, v in signed_vectors().items()}
    files["warning-v1.json"] = warning_vector()
    files.update({f"{name}.json": v for name, v in message_vectors().items()})
    return files


def main() -> None:
    write_vectors(HERE, build())


if __name__ == "__main__":
    main()

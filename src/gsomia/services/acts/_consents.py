"""The originator's signed consents, as the rules see them (JK-5.1, JK-5.2, TI-3).

A consent is a ``gsomia/consent-v1`` document the originator signed; it is checked again
every time the holder relies on it, so a consent altered in the store never reaches the
rules as verified.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from gsomia.core.items import Consent, ConsentKind
from gsomia.errors import GsomiaError, InputError
from gsomia.ports.store import ItemRecord, ReadView
from gsomia.records import ConsentRecord
from gsomia.services.plumbing.workflow import Workflow

__all__ = ["CONSENT_FORMAT", "check_answer", "verified_consent"]

_logger = logging.getLogger(__name__)

CONSENT_FORMAT = "gsomia/consent-v1"


def verified_consent(
    flow: Workflow,
    uow: ReadView,
    record: ItemRecord,
    *,
    kind: ConsentKind,
    to_party: str | None = None,
    purpose: str | None = None,
) -> tuple[Consent | None, str | None]:
    """The originator's latest answer about ``record`` for ``to_party`` (a release) or
    ``purpose`` (another use), verified now, with its request id; ``(None, None)`` when
    there is none. A consent whose signature no longer holds is returned as ``None`` with
    its id, so the rules refuse and the refusal names it."""
    answers = [
        s
        for s in flow.ctx.find(uow, ConsentRecord, item_id=record.id)
        if s.record.role == "requester"
        and s.record.kind == kind.value
        and (to_party is None or s.record.to_party == to_party)
        and (purpose is None or s.record.purpose == purpose)
        and s.record.state in ("granted", "refused")
    ]
    if not answers:
        return None, None
    latest = max(answers, key=lambda s: s.record.decided_at or "")
    try:
        doc = flow.open_signed(
            latest.document,
            agreement_id=record.agreement_id,
            signer=record.originator,
            fmt=CONSENT_FORMAT,
        )
        check_answer(doc, latest.record, requester=flow.party)
    except GsomiaError:
        _logger.warning("consent %s for item %s does not verify", latest.record.id, record.id)
        return None, latest.record.id
    consent = Consent(
        kind=kind,
        item_id=record.id,
        originator=str(doc["originator"]),
        granted=doc["granted"] is True,
        decided_at=datetime.fromisoformat(str(doc["decided_at"])),
        to_party=str(doc["to_party"]),
        purpose=doc.get("purpose"),
        written=True,
        signature_verified=True,
    )
    return consent, latest.record.id


def check_answer(doc: dict[str, Any], asked: ConsentRecord, *, requester: str) -> None:
    """Raise :class:`InputError` unless the signed answer is about what was asked."""
    wanted = {
        "request": asked.request,
        "item": asked.item,
        "kind": asked.kind,
        "to_party": asked.to_party,
        "purpose": asked.purpose,
    }
    for key, value in wanted.items():
        if doc.get(key) != value:
            raise InputError(f"the consent document's {key} does not match the request")
    if doc.get("requester") != requester or not isinstance(doc.get("granted"), bool):
        raise InputError("the consent document does not answer this node's request")
    try:
        datetime.fromisoformat(str(doc.get("decided_at")))
    except ValueError:
        raise InputError("the consent document has no valid decision time") from None

"""Plain, JSON-ready views of domain values, shared by the CLI's ``--json`` and the API."""

from __future__ import annotations

from typing import Any

from gsomia.core.agreements import Agreement, AgreementEvent
from gsomia.core.decisions import Decision
from gsomia.core.lifecycle import AgreementStatus
from gsomia.ports.store import WorkflowRecord
from gsomia.records import RECORDS, Record
from gsomia.services.plumbing.context import Stored

__all__ = ["agreement_view", "decision_view", "event_view", "record_view", "status_view"]


def event_view(e: AgreementEvent) -> dict[str, Any]:
    """One dated event on an agreement."""
    out: dict[str, Any] = {
        "id": e.id,
        "kind": str(e.kind),
        "by": e.by,
        "at": e.at.isoformat(),
        "of": list(e.of),
        "note": e.note,
    }
    if e.terminates_at is not None:
        out["terminates_at"] = {
            "at": e.terminates_at.at.isoformat(),
            "source": e.terminates_at.source,
        }
        out["terminates_at_alternatives"] = [
            {"at": b.at.isoformat(), "source": b.source} for b in e.alternatives
        ]
    return out


def agreement_view(a: Agreement) -> dict[str, Any]:
    """An agreement as its file states it, with levels spelled natively and as references."""
    return {
        "id": a.id,
        "version": a.version,
        "title": a.title,
        "short_name": a.short_name,
        "kind": a.kind,
        "legal_nature": str(a.legal_nature),
        "parties": [
            {"code": p.code, "name": p.name, "competent_authority": p.competent_authority}
            for p in a.parties
        ],
        "equivalence": [
            {
                "english": row.english,
                **{
                    party: [
                        {"ref": lv.ref, "native": lv.native, "romanised": lv.romanised}
                        for lv in levels
                    ]
                    for party, levels in row.levels.items()
                },
            }
            for row in a.equivalence
        ],
        "covered_levels": {p: [lv.ref for lv in a.covered_levels(p)] for p in a.party_codes},
        "scope": {"topics": list(a.scope_topics), "description": a.scope_description},
        "route": {
            "kind": a.route.kind,
            "hub": a.route.hub,
            "consent_required": a.route.consent_required,
        },
        "basis": list(a.basis),
        "term": {
            "entry_into_force": a.term.entry_into_force.isoformat(),
            "initial_years": a.term.initial_years,
            "renewal_years": a.term.renewal_period,
            "automatic_renewal": a.term.automatic_renewal,
            "notice_days": a.term.notice_days,
            "indefinite": a.term.indefinite,
        },
        "events": [event_view(e) for e in a.events],
        "rules": dict(a.rule_ids),
    }


def status_view(s: AgreementStatus) -> dict[str, Any]:
    """An agreement's status at one instant."""
    return {
        "agreement": s.agreement_id,
        "at": s.at.isoformat(),
        "phase": str(s.phase),
        "in_force": s.in_force,
        "protection_continues": s.protection_continues,
        "term_start": s.term_start.isoformat() if s.term_start else None,
        "term_end": s.term_end.isoformat() if s.term_end else None,
        "renewals": s.renewals,
        "notice": None
        if s.notice is None
        else {
            "event": s.notice.event.id,
            "given_at": s.notice.event.at.isoformat(),
            "terminates_at": s.notice.terminates_at.at.isoformat(),
            "terminates_at_source": s.notice.terminates_at.source,
            "suspended": s.notice.suspended_by is not None,
            "suspended_by": s.notice.suspended_by.id if s.notice.suspended_by else None,
            "suspended_at": s.notice.suspended_by.at.isoformat() if s.notice.suspended_by else None,
        },
        "terminated_at": s.terminated_at.isoformat() if s.terminated_at else None,
        "rule_ids": list(s.rule_ids),
        "summary": s.summary,
    }


def decision_view(d: Decision) -> dict[str, Any]:
    """A decision with the rules it rests on."""
    return d.as_dict()


def record_view(value: WorkflowRecord | Record | Stored[Any]) -> dict[str, Any]:
    """A workflow record as its typed class reads it, with its kind, state and version (when
    stored): what the CLI's ``--json`` and the API show, never a raw stored body."""
    version: int | None = None
    item: str | None = None
    updated: str | None = None
    signed = False
    if isinstance(value, WorkflowRecord):
        record: Record = RECORDS[value.kind].from_body(
            record_id=value.id, state=value.state, body=value.body
        )
        version, item, signed = value.version, value.item_id, bool(value.document)
        updated = value.updated_at.isoformat()
    elif isinstance(value, Stored):
        record = value.record
        version, item, signed = value.version, value.item_id, bool(value.document)
        updated = value.updated_at.isoformat()
    else:
        record = value
    return {
        "id": record.id,
        "kind": record.KIND,
        "state": record.state,
        "version": version,
        "item": item,
        "updated_at": updated,
        "signed": signed,
        **record.to_body(),
    }

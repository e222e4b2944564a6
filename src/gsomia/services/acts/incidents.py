"""Loss or compromise, actual or possible: report, immediate notice to the originator,
investigation, result and measures taken (JK-17.1).

A report names the items, whether the loss or compromise is actual or possible, and what is
known. The notice to each party that provided an item (its originator, or the holder that
released it to this node, which passes the notice on to the originator) is queued in the
same unit of work as the report, so it leaves as soon as the partner can be reached: that
is the "immediately" of Art. 17. The investigation and its result, with the measures taken
to prevent a recurrence, follow as further notices.

Art. 17 sets no time for the investigation or the result. The deadlines used to flag an
incident as overdue are assumptions, set per node (:class:`IncidentPolicy`) and per report:
an investigation opened within 30 days and results reported within 90 days by default.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from gsomia.core.decisions import Decision
from gsomia.core.people import Authority
from gsomia.core.rules import Act, AuthorityRequest
from gsomia.errors import InputError, UnknownName
from gsomia.formats.messages import Kind, Message
from gsomia.ledger.entries import Event, LedgerEntry
from gsomia.ports.store import (
    ItemRecord,
    ItemState,
    OutboxMessage,
    ReadView,
    UnitOfWork,
    WorkflowRecord,
)
from gsomia.records import IncidentRecord
from gsomia.services.acts.handling import HandlingService, gave_to
from gsomia.services.plumbing.context import NodeContext
from gsomia.services.plumbing.workflow import Workflow, check_id, check_text

__all__ = ["INCIDENT_KIND", "IncidentPolicy", "IncidentService"]

_logger = logging.getLogger(__name__)

#: Workflow-record kind of an incident, on the reporter's and on the provider's side.
INCIDENT_KIND = IncidentRecord.KIND
_KINDS = ("loss", "compromise")
_PHASES = {
    "notice": ("notified", Event.INCIDENT_REPORTED),
    "investigation": ("investigating", Event.INCIDENT_INVESTIGATED),
    "result": ("closed", Event.INCIDENT_CLOSED),
}
_MAX_ITEMS = 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentPolicy:
    """Assumed deadlines, counted from the report (Art. 17 names none)."""

    investigation_days: int = 30
    result_days: int = 90

    def __post_init__(self) -> None:
        if not 0 < self.investigation_days <= self.result_days <= 3650:
            raise InputError("incident deadlines: 0 < investigation days <= result days <= 3650")


class IncidentService(Workflow):
    """Incidents this node reports, and notices of incidents about items it provided."""

    def __init__(self, ctx: NodeContext, policy: IncidentPolicy | None = None) -> None:
        super().__init__(ctx)
        self.policy = policy or IncidentPolicy()

    # Reporter's side -----------------------------------------------------------------------

    def report(
        self,
        *,
        item_ids: Sequence[str],
        kind: str,
        possible: bool,
        by: str,
        description: str,
        policy: IncidentPolicy | None = None,
    ) -> WorkflowRecord:
        """Report an actual or ``possible`` loss or compromise of items held here and notify
        each provider at once (JK-17.1). Returns the incident record.

        Raises :class:`InputError` for an unknown kind or no items, :class:`UnknownName`
        for an item not known here; nothing is stored then.
        """
        ctx = self.ctx
        now = ctx.clock.now()
        if kind not in _KINDS:
            raise InputError(f"incident kind must be loss or compromise, not {kind!r}")
        if not item_ids or len(item_ids) > _MAX_ITEMS:
            raise InputError(f"an incident names 1 to {_MAX_ITEMS} items")
        description = check_text(description, what="description")
        deadlines = policy or self.policy
        incident_id = ctx.ids.new_id()
        with ctx.store.read() as uow:
            records = [uow.item(check_id(i, what="item id")) for i in dict.fromkeys(item_ids)]
            decisions = self._decide(uow, records, by, now)
        with ctx.store.unit_of_work() as uow:
            records = [uow.item(r.id) for r in records]
            groups = self._providers(uow, records)
            body: dict[str, Any] = {
                "role": "reporter",
                "kind": kind,
                "possible": possible,
                "items": [r.id for r in records],
                "description": description,
                "by": by,
                "reported_at": now.isoformat(),
                "notice_due": now.isoformat(),
                "investigation_due": (
                    now + timedelta(days=deadlines.investigation_days)
                ).isoformat(),
                "result_due": (now + timedelta(days=deadlines.result_days)).isoformat(),
                "notified": [
                    {"party": p, "agreement": a, "items": i} for (p, a), i in groups.items()
                ],
                "acknowledged": {},
                "phases": [{"phase": "notice", "at": now.isoformat(), "by": by}],
            }
            notice = {
                "incident": incident_id,
                "phase": "notice",
                **{k: body[k] for k in ("kind", "possible", "description", "reported_at")},
                **{k: body[k] for k in ("investigation_due", "result_due")},
            }
            uow.enqueue_many(self._notices(groups, notice, now))
            saved = self._put(uow, incident_id, "reported", body, now)
            entries = self._entries(
                records, decisions, Event.INCIDENT_REPORTED, incident_id, by=by, now=now
            )
            ctx.record(uow, entries)
        return saved

    def investigate(self, *, incident_id: str, by: str, note: str) -> WorkflowRecord:
        """Record that the investigation is open and tell the providers (JK-17.1)."""
        return self._advance(incident_id, "investigation", by=by, detail={"note": note})

    def close(self, *, incident_id: str, by: str, result: str, measures: str) -> WorkflowRecord:
        """Close an incident with its result and the measures taken to prevent a recurrence,
        and send both to the providers (JK-17.1). Raises :class:`InputError` without both."""
        return self._advance(
            incident_id, "result", by=by, detail={"result": result, "measures": measures}
        )

    def _advance(
        self, incident_id: str, phase: str, *, by: str, detail: dict[str, str]
    ) -> WorkflowRecord:
        ctx = self.ctx
        now = ctx.clock.now()
        detail = {k: check_text(v, what=k) for k, v in detail.items()}
        state, event = _PHASES[phase]
        incident_id = check_id(incident_id, what="incident id")
        with ctx.store.read() as uow:
            record = uow.record(INCIDENT_KIND, incident_id)
            decisions = self._decide(uow, [uow.item(i) for i in record.body["items"]], by, now)
        with ctx.store.unit_of_work() as uow:
            record = uow.record(INCIDENT_KIND, incident_id)
            if record.body.get("role") != "reporter":
                raise InputError(f"incident {incident_id} was reported by another party")
            if record.state == "closed" or (
                phase == "investigation" and record.state != "reported"
            ):
                raise InputError(f"incident {incident_id} is {record.state}")
            items = [uow.item(i) for i in record.body["items"]]
            groups = {
                (g["party"], g["agreement"]): list(g["items"]) for g in record.body["notified"]
            }
            message = {"incident": incident_id, "phase": phase, "at": now.isoformat(), **detail}
            uow.enqueue_many(self._notices(groups, message, now))
            phases = [*record.body["phases"], {"phase": phase, "at": now.isoformat(), "by": by}]
            saved = self._put(
                uow, incident_id, state, {**record.body, **detail, "phases": phases}, now
            )
            ctx.record(uow, self._entries(items, decisions, event, incident_id, by=by, now=now))
        return saved

    def _decide(
        self, uow: ReadView, records: list[ItemRecord], by: str, now: datetime
    ) -> dict[str, Decision]:
        """Each item's incident decision: by a person who holds the incidents authority,
        cleared for the item with a need to know it (JK-17.1); the first refusal is recorded
        and raised."""
        person = self.person(uow, by)
        decisions = {}
        for record in records:
            request = AuthorityRequest(
                agreement=self.ctx.agreement(record.agreement_id),
                person=person,
                party=self.party,
                authority=Authority.INCIDENTS,
                at=now,
                item=self.ctx.item_view(record),
            )
            decisions[record.id] = self.ctx.decide(
                Act.INCIDENT, request, person=by, item_id=record.id
            )
        return decisions

    def _put(
        self, uow: UnitOfWork, incident_id: str, state: str, body: dict[str, Any], now: datetime
    ) -> WorkflowRecord:
        """Store an incident's next version, its body read as an :class:`IncidentRecord`."""
        record = IncidentRecord.from_body(record_id=incident_id, state=state, body=body)
        return self.ctx.put(uow, record, now=now)

    def _providers(
        self, uow: UnitOfWork, records: list[ItemRecord]
    ) -> dict[tuple[str, str], list[str]]:
        """Who to notify about which items: (party, agreement) → the items (originals) it
        provided to this node."""
        handling = HandlingService(self.ctx)
        groups: dict[tuple[str, str], list[str]] = {}
        for record in records:
            root = uow.item(record.parent_id) if record.parent_id else record
            if root.originator == self.party and root.state is ItemState.SENT:
                continue
            provider = handling.provider(uow, root)
            if provider == self.party:
                continue
            groups.setdefault((provider, root.agreement_id), [])
            if root.id not in groups[(provider, root.agreement_id)]:
                groups[(provider, root.agreement_id)].append(root.id)
        return groups

    def _notices(
        self, groups: dict[tuple[str, str], list[str]], body: dict[str, Any], now: datetime
    ) -> list[OutboxMessage]:
        return [
            self.ctx.outgoing(Kind.INCIDENT, party, agreement_id, {**body, "items": items}, now)
            for (party, agreement_id), items in groups.items()
        ]

    def _entries(
        self,
        records: list[ItemRecord],
        decisions: dict[str, Decision],
        event: Event,
        incident_id: str,
        *,
        by: str,
        now: datetime,
    ) -> list[LedgerEntry]:
        return [
            self.ctx.entry(
                event=event,
                agreement_id=r.agreement_id,
                at=now,
                person=by,
                item_id=r.id,
                decision=decisions[r.id],
                incident=incident_id,
            )
            for r in records
        ]

    def on_reply(self, uow: UnitOfWork, sent: OutboxMessage, reply: Message) -> None:
        """Keep each provider's signed acknowledgement of a notice (its time of receipt)."""
        incident_id = reply.body.get("incident")
        phase = reply.body.get("phase")
        if not isinstance(incident_id, str) or phase not in _PHASES:
            return
        try:
            record = uow.record(INCIDENT_KIND, incident_id)
        except UnknownName:
            return
        acks = dict(record.body.get("acknowledged", {}))
        acks.setdefault(sent.destination, {})[str(phase)] = reply.sent_at.isoformat()
        self._put(
            uow, incident_id, record.state, {**record.body, "acknowledged": acks}, reply.sent_at
        )

    # Views ---------------------------------------------------------------------------------

    def incidents(self, *, viewer: str, state: str | None = None) -> list[dict[str, Any]]:
        """The incidents ``viewer`` may see (cleared for every item they name), with their
        deadlines and what is overdue now."""
        from gsomia.services.plumbing.queries import Queries

        now = self.ctx.clock.now()
        shown = {
            s.record.id
            for s in Queries(self.ctx).records(IncidentRecord, viewer=viewer, state=state)
        }
        with self.ctx.store.read() as uow:
            records = [r for r in uow.records(INCIDENT_KIND, state=state) if r.id in shown]
        return [{**self._view(r), "overdue": overdue(r, now)} for r in records]

    @staticmethod
    def _view(record: WorkflowRecord) -> dict[str, Any]:
        return {
            "incident": record.id,
            "state": record.state,
            "version": record.version,
            **record.body,
        }

    # Provider's side -----------------------------------------------------------------------

    def on_incident(self, uow: UnitOfWork, message: Message) -> dict[str, Any]:
        """Record a notice about items this node provided; pass it on to the originator when
        this node released the item rather than originating it (JK-17.1).

        Raises :class:`UnknownName` for an unknown item or incident and :class:`InputError`
        when the sender never received an item from this node; nothing is stored then.
        """
        now = self.ctx.clock.now()
        body = message.body
        incident_id = check_id(body.get("incident"), what="incident")
        phase = body.get("phase")
        if phase not in _PHASES:
            raise InputError(f"incident phase must be one of {', '.join(_PHASES)}")
        raw_items = body.get("items")
        if not isinstance(raw_items, list) or not 0 < len(raw_items) <= _MAX_ITEMS:
            raise InputError("incident: items must be a non-empty list")
        records = [uow.item(check_id(i, what="incident item")) for i in raw_items]
        for record in records:
            if not gave_to(uow, record, party=message.sender, agreement_id=message.agreement_id):
                raise InputError(f"{message.sender} did not receive item {record.id} from here")
        state, event = _PHASES[str(phase)]
        if phase == "notice":
            saved = self._noticed(uow, message, incident_id, now)
        else:
            saved = self._followed(uow, message, incident_id, str(phase), now)
        relays = self._relays(records, body, now)
        uow.enqueue_many(relays)
        saved["relayed"] = bool(relays) or bool(saved.get("relayed"))
        self._put(uow, incident_id, state, saved, now)
        # The partner notified under the agreement its message came under (a holder the
        # item was released to notifies under its own agreement with this node).
        notified = self.ctx.partner_act(
            Act.RECEIVE_INCIDENT, self.ctx.agreement(message.agreement_id), message.sender
        )
        entries = [
            self.ctx.entry(
                event=event,
                agreement_id=r.agreement_id,
                at=now,
                item_id=r.id,
                decision=notified,
                incident=incident_id,
                counterparty=message.sender,
            )
            for r in records
        ]
        self.ctx.record(uow, entries)
        return {"incident": incident_id, "phase": phase, "state": state}

    def _noticed(
        self, uow: UnitOfWork, message: Message, incident_id: str, now: datetime
    ) -> dict[str, Any]:
        body = message.body
        kind = body.get("kind")
        if kind not in _KINDS or not isinstance(body.get("possible"), bool):
            raise InputError("incident notice: kind (loss or compromise) and possible required")
        dates = {}
        for key in ("reported_at", "investigation_due", "result_due"):
            try:
                dates[key] = datetime.fromisoformat(str(body.get(key))).isoformat()
            except ValueError:
                raise InputError(f"incident notice: {key} is not a time") from None
        try:
            uow.record(INCIDENT_KIND, incident_id)
        except UnknownName:
            pass
        else:
            raise InputError(f"incident {incident_id} was already notified")
        return {
            "role": "provider",
            "from": message.sender,
            "kind": kind,
            "possible": body["possible"],
            "items": list(body["items"]),
            "description": check_text(body.get("description"), what="incident description"),
            **dates,
            "notice_received_at": now.isoformat(),
            "phases": [{"phase": "notice", "at": now.isoformat()}],
        }

    @staticmethod
    def _followed(
        uow: UnitOfWork, message: Message, incident_id: str, phase: str, now: datetime
    ) -> dict[str, Any]:
        record = uow.record(INCIDENT_KIND, incident_id)
        if record.body.get("role") != "provider" or record.body.get("from") != message.sender:
            raise InputError(f"incident {incident_id} was not notified by {message.sender}")
        if record.state == "closed":
            raise InputError(f"incident {incident_id} is already closed")
        detail = {}
        keys = ("note",) if phase == "investigation" else ("result", "measures")
        for key in keys:
            detail[key] = check_text(message.body.get(key), what=f"incident {phase}: {key}")
        phases = [*record.body.get("phases", []), {"phase": phase, "at": now.isoformat()}]
        return {**record.body, **detail, "phases": phases}

    def _relays(
        self, records: list[ItemRecord], body: dict[str, Any], now: datetime
    ) -> list[OutboxMessage]:
        """The notice passed on to the originators of items this node released (JK-17.1)."""
        groups: dict[tuple[str, str], list[str]] = {}
        for record in records:
            if record.originator != self.party:
                groups.setdefault((record.originator, record.agreement_id), []).append(record.id)
        return self._notices(groups, body, now)


def overdue(record: WorkflowRecord, now: datetime) -> list[str]:
    """What is overdue on an incident at ``now``, in a few words each."""
    body = record.body
    late: list[str] = []
    if record.state == "closed":
        return late
    if record.state in ("reported", "notified") and now > _time(body.get("investigation_due")):
        late.append("investigation")
    if now > _time(body.get("result_due")):
        late.append("result and measures")
    if body.get("role") == "reporter":
        for group in body.get("notified", []):
            if "notice" not in body.get("acknowledged", {}).get(group["party"], {}):
                late.append(f"acknowledgement of the notice by {group['party']}")
    return late


def _time(text: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return datetime.max.replace(tzinfo=UTC)

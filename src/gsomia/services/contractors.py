"""Hand-over of held items to a contractor, only once Art. 16's conditions (a)–(o) are
recorded as met for the contractor's facility (JK-16.x).

The conditions are recorded per facility with
:meth:`~gsomia.services.registry.RegistryService.record_condition`; a hand-over moves the item
to that facility (its location in the inventory, JK-6.f) and is recorded in the ledger. From
then on the contractor's staff registered there get access through the ordinary rules, which
check the same conditions again (JK-16.x).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from gsomia.core.agreements import Agreement
from gsomia.core.decisions import Decision, combine
from gsomia.errors import InputError
from gsomia.ledger.entries import Event
from gsomia.ports.store import ItemRecord, UnitOfWork
from gsomia.services._workflow import Workflow, decide_access
from gsomia.services.registry import ARTICLE_16, CONTRACTOR_KIND

__all__ = ["HANDOVER_KIND", "ContractorService"]

_logger = logging.getLogger(__name__)

#: Workflow-record kind of a hand-over to a contractor facility.
HANDOVER_KIND = "hand-over"


class ContractorService(Workflow):
    """Hand-over of items to contractor facilities."""

    def hand_over(self, *, item_id: str, facility_id: str, by: str) -> ItemRecord:
        """Move a held item to a contractor facility, only once Art. 16(a)–(o) are recorded
        as met for it (JK-16.x).

        Raises :class:`PolicyDenied` (recorded) when a condition is missing or ``by`` may
        not handle the item; :class:`InputError` for a facility that is not a contractor's.
        """
        ctx = self.ctx
        now = ctx.clock.now()
        with ctx.store.read() as uow:
            record = self.held(uow, item_id)
            agreement = ctx.agreement(record.agreement_id)
            person = self.officer(uow, by, rule=agreement.rule_id("contractor"))
            facility = uow.facility(facility_id)
            if facility.party != self.party or facility.contractor is None:
                raise InputError(f"{facility_id} is not a contractor facility of {self.party}")
            missing = _missing_conditions(uow, facility_id)
            decision = combine(
                "hand-over",
                [
                    decide_access(self.ctx, uow, agreement, record, person, now),
                    _conditions_decision(agreement, facility_id, facility.contractor, missing),
                ],
            )
        if not decision.allowed:
            self.record_refusal(
                agreement.id, decision, now, person=by, item_id=record.id, facility=facility_id
            )
        with ctx.store.unit_of_work() as uow:
            record = self.held(uow, item_id)
            uow.set_item_facility(record.id, facility_id)
            self.put_version(
                uow,
                HANDOVER_KIND,
                ctx.ids.new_id(),
                state="handed-over",
                body={
                    "facility": facility_id,
                    "contractor": facility.contractor,
                    "from": record.facility_id,
                    "by": by,
                    "at": now.isoformat(),
                },
                now=now,
                item_id=record.id,
            )
            entry = ctx.entry(
                event=Event.ITEM_HANDED_OVER,
                agreement_id=agreement.id,
                at=now,
                person=by,
                item_id=record.id,
                decision=decision,
                facility=facility_id,
            )
            ctx.record(uow, [entry])
        return replace(record, facility_id=facility_id)

    def missing(self, facility_id: str) -> list[str]:
        """The Art. 16 conditions not yet recorded as met for ``facility_id``."""
        with self.ctx.store.read() as uow:
            uow.facility(facility_id)
            return _missing_conditions(uow, facility_id)


def _missing_conditions(uow: UnitOfWork, facility_id: str) -> list[str]:
    met = {
        str(r.body.get("condition"))
        for r in uow.records(CONTRACTOR_KIND)
        if r.body.get("facility") == facility_id and r.state == "met"
    }
    return [c for c in ARTICLE_16 if c not in met]


def _conditions_decision(
    agreement: Agreement, facility_id: str, contractor: str, missing: list[str]
) -> Decision:
    rule = agreement.rule_id("contractor")
    if missing:
        listed = ", ".join(f"({c})" for c in missing)
        return Decision.deny(
            "hand-over",
            rule,
            f"Art. 16 conditions {listed} are not recorded as met for {facility_id} ({contractor})",
        )
    return Decision.allow(
        "hand-over", rule, f"Art. 16(a)–(o) are recorded as met for {facility_id} ({contractor})"
    )

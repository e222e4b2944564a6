"""Hand-over of held items to a contractor, only once the agreement's Art. 16 conditions are
recorded as met (and the periodic ones current) for the contractor's facility (JK-16.x).

The conditions are recorded per facility with
:meth:`~gsomia.services.acts.registry.RegistryService.record_condition`; a hand-over is a custody
officer's act on an item they have access to. It moves the item to that facility (its
location in the inventory, JK-6.f) and is recorded in the ledger. From then on the
contractor's staff registered there get access through the ordinary rules, which check the
same conditions again (JK-16.x).
"""

from __future__ import annotations

import logging

from gsomia.core.rules import Act, HandOverRequest
from gsomia.ledger.entries import Event
from gsomia.ports.store import ItemRecord
from gsomia.records import HandOverRecord
from gsomia.services.plumbing.workflow import Workflow

__all__ = ["HANDOVER_KIND", "ContractorService"]

_logger = logging.getLogger(__name__)

#: Workflow-record kind of a hand-over to a contractor facility.
HANDOVER_KIND = HandOverRecord.KIND


class ContractorService(Workflow):
    """Hand-over of items to contractor facilities."""

    def hand_over(self, *, item_id: str, facility_id: str, by: str) -> ItemRecord:
        """Move a held item to a contractor facility, only once Art. 16's conditions are
        recorded as met for it (JK-16.x).

        Raises :class:`PolicyDenied` (recorded) when a condition is missing or ``by`` may
        not hand the item over; :class:`UnknownName` for an unknown item or facility.
        """
        ctx = self.ctx
        now = ctx.clock.now()
        with ctx.store.read() as uow:
            record = self.held(uow, item_id)
            access = self.access(uow, record, self.person(uow, by), now)
            facility = uow.facility(facility_id)
            met = ctx.conditions(uow, frozenset({facility_id})).get(facility_id, {})
        request = HandOverRequest(
            agreement=access.agreement,
            person=access.person,
            item=access.item,
            at=now,
            facility=facility,
            met=met,
            party=ctx.party,
            conditions=access.conditions,
        )
        decision = ctx.decide(
            Act.HAND_OVER, request, person=by, item_id=record.id, facility=facility_id
        )
        with ctx.store.unit_of_work() as uow:
            record = self.held(uow, item_id)
            handed = HandOverRecord(
                id=ctx.ids.new_id(),
                state="handed-over",
                facility=facility_id,
                contractor=str(facility.contractor),
                from_facility=record.facility_id,
                by=by,
                at=now.isoformat(),
            )
            moved = self.move_to_facility(
                uow,
                record,
                facility_id,
                move=handed,
                event=Event.ITEM_HANDED_OVER,
                by=by,
                now=now,
                decision=decision,
            )
        return moved

    def missing(self, facility_id: str, *, agreement_id: str | None = None) -> list[str]:
        """The Art. 16 conditions of an agreement not recorded as met (or due again) for
        ``facility_id``."""
        from gsomia.services.acts.registry import RegistryService

        return RegistryService(self.ctx).missing(facility_id, agreement_id=agreement_id)

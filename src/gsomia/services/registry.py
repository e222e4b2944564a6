"""The registry: facilities, each facility's register of cleared persons, clearances, and the
Art. 16 conditions recorded for contractor facilities (JK-6.e, JK-7, JK-16.x).

Every change is one unit of work with a ledger-free record (the registry is the node's own
administration, not an act on partners' items); the workflow records keep its history.
"""

from __future__ import annotations

import string
from dataclasses import replace
from datetime import date

from gsomia.core.people import Clearance, Facility, Person, Role
from gsomia.errors import InputError, UnknownName
from gsomia.ports.store import UnitOfWork, WorkflowRecord
from gsomia.services.context import NodeContext

__all__ = ["ARTICLE_16", "CONTRACTOR_KIND", "RegistryService", "contractor_conditions_met"]

#: Workflow-record kind of an Art. 16 condition recorded for a contractor facility.
CONTRACTOR_KIND = "contractor-condition"
#: Art. 16(a)–(o), in a few words each (spec/agreements.md §1.2).
ARTICLE_16: dict[str, str] = {
    "a": "no access solely by rank, position or clearance",
    "b": "contractor and facilities able to protect the information",
    "c": "every person needing access holds a clearance",
    "d": "clearances determined as in Art. 7",
    "e": "procedures ensure the Art. 7(3) criteria",
    "f": "everyone with access told of their responsibilities",
    "g": "initial and periodic security inspections",
    "h": "access limited to those whose duties require it",
    "i": "a register of cleared, authorised persons",
    "j": "a qualified person responsible for protection appointed",
    "k": "storage as in Art. 11",
    "l": "transmission as in Arts. 9 and 12",
    "m": "destruction as in Art. 13",
    "n": "reproduction and control as in Art. 14",
    "o": "translation as in Art. 15",
}


def contractor_conditions_met(uow: UnitOfWork, facility_id: str) -> bool:
    """Whether all of Art. 16(a)–(o) are recorded as met for ``facility_id`` (JK-16.x)."""
    met = {
        r.body["condition"]
        for r in uow.records(CONTRACTOR_KIND)
        if r.body.get("facility") == facility_id and r.state == "met"
    }
    return met >= set(ARTICLE_16)


class RegistryService:
    """Facilities, persons, clearances and registers of one node."""

    def __init__(self, ctx: NodeContext) -> None:
        self.ctx = ctx

    def add_facility(
        self, *, facility_id: str, name: str, contractor: str | None = None
    ) -> Facility:
        """Add a government or contractor facility of this party."""
        facility = Facility(id=facility_id, party=self.ctx.party, name=name, contractor=contractor)
        with self.ctx.store.unit_of_work() as uow:
            uow.add_facility(facility)
        return facility

    def add_person(
        self,
        *,
        person_id: str,
        name: str,
        role: str,
        clearance: str | None = None,
        granted_on: date | None = None,
        expires_on: date | None = None,
        need_to_know: frozenset[str] = frozenset(),
        facilities: frozenset[str] = frozenset(),
        rank: str = "",
    ) -> Person:
        """Register a person of this party with a clearance of this party's scheme (Art. 2(e)).

        Raises :class:`InputError` for an unknown role or a clearance of another scheme and
        :class:`UnknownName` for an unknown facility.
        """
        try:
            role_value = Role(role)
        except ValueError:
            raise InputError(f"role must be one of {', '.join(r.value for r in Role)}") from None
        granted = granted_on or self.ctx.clock.now().date()
        level = None
        if clearance:
            level = Clearance(
                level=self.ctx.files.schemes.parse(clearance, party=self.ctx.party),
                granted_on=granted,
                expires_on=expires_on,
            )
        for topic in need_to_know:
            if not topic or set(topic) - set(string.ascii_lowercase + string.digits + "-._"):
                raise InputError(
                    f"need-to-know topic {topic!r}: use lower-case letters, digits, - . _"
                )
        person = Person(
            id=person_id,
            party=self.ctx.party,
            name=name,
            role=role_value,
            clearance=level,
            need_to_know=frozenset(need_to_know),
            registered_at=frozenset(facilities),
            rank=rank,
            nationality=self.ctx.party,
        )
        with self.ctx.store.unit_of_work() as uow:
            for f in facilities:
                uow.facility(f)
            uow.add_person(person)
        return person

    def register(self, *, person_id: str, facility_id: str) -> Person:
        """Enter a person on a facility's register of cleared, authorised persons (JK-6.e)."""
        with self.ctx.store.unit_of_work() as uow:
            uow.facility(facility_id)
            person = uow.person(person_id)
            if person.clearance is None:
                raise InputError(
                    f"{person_id} holds no clearance; only cleared persons are registered"
                )
            updated = replace(person, registered_at=person.registered_at | {facility_id})
            uow.replace_person(updated)
        return updated

    def record_condition(
        self, *, facility_id: str, condition: str, evidence: str, by: str
    ) -> WorkflowRecord:
        """Record that Art. 16(``condition``) is met for a contractor facility (JK-16.x)."""
        key = condition.strip().lower().strip("()")
        if key not in ARTICLE_16:
            raise InputError(f"Art. 16 condition must be one of (a)–(o), not {condition!r}")
        now = self.ctx.clock.now()
        with self.ctx.store.unit_of_work() as uow:
            facility = uow.facility(facility_id)
            if facility.contractor is None:
                raise InputError(f"{facility_id} is not a contractor facility")
            uow.person(by)
            record_id = f"{facility_id}.{key}"
            try:
                version = uow.record(CONTRACTOR_KIND, record_id).version + 1
            except UnknownName:
                version = 1
            record = WorkflowRecord(
                kind=CONTRACTOR_KIND,
                id=record_id,
                state="met",
                version=version,
                updated_at=now,
                body={
                    "facility": facility_id,
                    "condition": key,
                    "text": ARTICLE_16[key],
                    "evidence": evidence,
                    "by": by,
                },
            )
            uow.put_record(record)
        return record

    def persons(self) -> list[Person]:
        with self.ctx.store.read() as uow:
            return uow.persons()

    def facilities(self) -> list[Facility]:
        with self.ctx.store.read() as uow:
            return uow.facilities()

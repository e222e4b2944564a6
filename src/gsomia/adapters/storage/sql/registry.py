"""The registry side of the SQL unit of work: facilities, persons and their registrations,
each row sealed (see :mod:`gsomia.ports.state`)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import insert, select

from gsomia.adapters.storage.sql import statements as st
from gsomia.adapters.storage.sql import tables as t
from gsomia.adapters.storage.sql._unit import UnitParts
from gsomia.core.people import Clearance, Facility, Person, Role
from gsomia.errors import UnknownName
from gsomia.ports.state import StateWrite

__all__ = ["RegistryMethods"]


class RegistryMethods(UnitParts):
    """Registry reads and writes inside the unit of work's transaction."""

    def add_facility(self, facility: Facility) -> None:
        row = {
            "id": facility.id,
            "party": facility.party,
            "name": facility.name,
            "contractor": facility.contractor,
        }
        what = f"facility {facility.id}"
        self._insert(t.facilities, [self._sealed("facilities", row)], what=what)

    def facility(self, facility_id: str) -> Facility:
        row = self._conn.execute(
            select(t.facilities).where(t.facilities.c.id == facility_id)
        ).first()
        if row is None:
            raise UnknownName(kind="facility", name=facility_id)
        self.sealer.fresh("facilities", [self.sealer.checked("facilities", row._mapping)])
        return Facility(id=row.id, party=row.party, name=row.name, contractor=row.contractor)

    def facilities(self) -> list[Facility]:
        rows = self._conn.execute(select(t.facilities).order_by(t.facilities.c.id))
        return [
            Facility(id=r.id, party=r.party, name=r.name, contractor=r.contractor)
            for r in rows
            if self.sealer.checked("facilities", r._mapping)
        ]

    def add_person(self, person: Person) -> None:
        row = self._sealed("persons", _person_row(person))
        self._insert(t.persons, [row], what=f"person {person.id}")
        self._register(person)

    def replace_person(self, person: Person) -> None:
        old = self.person(person.id)
        self.sealer.update("persons", person.id, _person_row(person))
        self._conn.execute(t.registrations.delete().where(t.registrations.c.person_id == person.id))
        for facility in sorted(old.registered_at):
            self.sealer.deleted("registrations", f"{person.id}/{facility}")
        self._register(person)

    def _register(self, person: Person) -> None:
        if person.registered_at:
            self._conn.execute(
                insert(t.registrations),
                [
                    self._sealed("registrations", {"facility_id": f, "person_id": person.id})
                    for f in sorted(person.registered_at)
                ],
            )

    def person(self, person_id: str) -> Person:
        row = self._conn.execute(st.PERSON, {"id": person_id}).first()
        if row is None:
            raise UnknownName(kind="person", name=person_id)
        return self._person(row, fresh=True)

    def persons(self) -> list[Person]:
        rows = self._conn.execute(select(t.persons).order_by(t.persons.c.id)).all()
        return [self._person(r) for r in rows]

    def _person(self, row: Any, *, fresh: bool = False) -> Person:
        """A person from their sealed row and registrations; a keyed read (``fresh``) also
        holds both to the journal, so a deleted or re-inserted registration is refused."""
        self.sealer.checked("persons", row._mapping)
        regs = [
            self.sealer.checked("registrations", r._mapping)
            for r in self._conn.execute(st.REGISTRATIONS_OF, {"id": row.id})
        ]
        if fresh:
            newest, registered = self.sealer.newest_and_under(
                "persons", row.id, "registrations", f"{row.id}/"
            )
            self.sealer.fresh("persons", [row._mapping], newest)
            self._fresh_registrations(row.id, regs, registered)
        clearance = None
        if row.clearance_ref:
            clearance = Clearance(
                level=self._schemes.parse(row.clearance_ref),
                granted_on=row.clearance_granted_on,
                expires_on=row.clearance_expires_on,
            )
        return Person(
            id=row.id,
            party=row.party,
            name=row.name,
            role=Role(row.role),
            clearance=clearance,
            need_to_know=frozenset(json.loads(row.need_to_know)),
            registered_at=frozenset(str(r["facility_id"]) for r in regs),
            rank=row.rank,
            nationality=row.nationality,
        )

    def _fresh_registrations(
        self, person_id: str, rows: list[Any], newest: dict[str, StateWrite]
    ) -> None:
        """The person's registrations are exactly those the journal says stand (``newest``:
        the journal's newest write of each key under the person's)."""
        prefix = f"{person_id}/"
        self.sealer.fresh("registrations", rows, newest)
        stored = {f"{prefix}{r['facility_id']}" for r in rows}
        for key, write in newest.items():
            if write.seal is not None and key not in stored:
                self.sealer.fail("registrations", key, 0, "was deleted outside the node")


def _person_row(p: Person) -> dict[str, Any]:
    c = p.clearance
    return {
        "id": p.id,
        "party": p.party,
        "name": p.name,
        "role": p.role.value,
        "clearance_ref": c.level.ref if c else None,
        "clearance_granted_on": c.granted_on if c else None,
        "clearance_expires_on": c.expires_on if c else None,
        "need_to_know": json.dumps(sorted(p.need_to_know)),
        "rank": p.rank,
        "nationality": p.nationality,
    }

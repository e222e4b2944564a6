"""The registry: facilities, each facility's register of cleared persons, clearances, the
authorities persons hold for their party, and the Art. 16 conditions recorded for contractor
facilities (JK-6.e, JK-7, JK-16.x).

Every change is an act of a named security officer who holds the ``registry`` authority,
decided by the rules under every agreement the party belongs to and recorded in the ledger
with a digest of what it wrote (:func:`registry_digest`), so that ``audit verify`` can hold
the registry to the ledger. The registry is founded once, by the node's operator, with its
first security officer (:meth:`RegistryService.found`).
"""

from __future__ import annotations

import hashlib
import string
from dataclasses import replace
from datetime import date, datetime

from gsomia.core.agreements import Agreement
from gsomia.core.canonical import canonical_json
from gsomia.core.decisions import Decision
from gsomia.core.people import OFFICER_ONLY, Authority, Clearance, Facility, Person, Role
from gsomia.core.rules import Act, AdministerRequest, ViewRequest
from gsomia.core.rules.access import conditions_missing
from gsomia.errors import ConflictError, InputError, UnknownName
from gsomia.ledger.entries import Event, LedgerEntry
from gsomia.ports.store import RecordsReader, UnitOfWork
from gsomia.records import AuthorityRecord, ConditionRecord
from gsomia.services.plumbing.workflow import Workflow, check_text

__all__ = ["MissingFounderClearance", "RegistryService", "authority_holders", "registry_digest"]

_TOPIC = set(string.ascii_lowercase + string.digits + "-._")


def registry_digest(value: Person | Facility) -> str:
    """The digest of a registry row as the ledger records it (``sha256:`` + hex of its
    canonical JSON): a person with clearance, need-to-know and registrations, or a
    facility."""
    if isinstance(value, Facility):
        body: dict[str, object] = {
            "facility": value.id,
            "party": value.party,
            "name": value.name,
            "contractor": value.contractor,
        }
    else:
        c = value.clearance
        body = {
            "person": value.id,
            "party": value.party,
            "name": value.name,
            "role": value.role.value,
            "clearance": c.level.ref if c else None,
            "granted_on": c.granted_on.isoformat() if c else None,
            "expires_on": c.expires_on.isoformat() if c and c.expires_on else None,
            "need_to_know": sorted(value.need_to_know),
            "registered_at": sorted(value.registered_at),
            "rank": value.rank,
        }
    return "sha256:" + hashlib.sha256(canonical_json(body)).hexdigest()


def authority_holders(uow: RecordsReader, authority: Authority) -> list[str]:
    """The persons who hold ``authority`` now."""
    return sorted(
        str(r.body.get("person"))
        for r in uow.records(AuthorityRecord.KIND, state="granted")
        if r.body.get("authority") == authority.value
    )


class MissingFounderClearance(InputError):
    """A new first security officer was named without a clearance: the registry is founded
    by a cleared security officer (JK-6.e), so founding names theirs."""

    def __init__(self, officer_id: str) -> None:
        super().__init__(
            f"{officer_id} is a new security officer named without a clearance; the registry "
            "is founded by a cleared security officer, so founding names their clearance"
        )
        self.officer_id = officer_id


class RegistryService(Workflow):
    """Facilities, persons, clearances, registers and authorities of one node."""

    # Founding ------------------------------------------------------------------------------

    def found(
        self,
        *,
        officer_id: str,
        name: str = "",
        clearance: str | None = None,
        granted_on: date | None = None,
        need_to_know: frozenset[str] = frozenset(),
        rank: str = "",
    ) -> Person:
        """Found the registry with its first security officer, cleared that day, who is given
        the registry and custody authorities (an act of the node's operator: refused, and
        recorded, while a holder of the registry authority can exercise it, or if the officer
        holds no clearance in effect, JK-6.e). A registry whose registry officers all hold no
        clearance in effect is founded anew this way; the new officer then revokes theirs. A
        new officer is named with their clearance (:class:`MissingFounderClearance`
        otherwise); an existing security officer of a node whose registry predates
        authorities may be named without the other details."""
        ctx = self.ctx
        now = ctx.clock.now()
        with ctx.store.read() as uow:
            holders = authority_holders(uow, Authority.REGISTRY)
            registrars = tuple(self.person(uow, h) for h in holders)
            try:
                officer = self.person(uow, officer_id)
                new = False
            except UnknownName:
                if clearance is None:
                    raise MissingFounderClearance(officer_id) from None
                officer = self._new_person(
                    person_id=officer_id,
                    name=name or officer_id,
                    role=Role.SECURITY_OFFICER.value,
                    clearance=clearance,
                    granted_on=granted_on,
                    need_to_know=need_to_know,
                    rank=rank,
                )
                new = True
        home, decision = ctx.decide_node(
            Act.FOUND,
            lambda a: AdministerRequest(
                agreement=a,
                person=None,
                party=self.party,
                what="registry",
                at=now,
                founding=True,
                registrars=registrars,
                target=officer,
            ),
            subject=officer_id,
        )
        with ctx.store.unit_of_work() as uow:
            if authority_holders(uow, Authority.REGISTRY) != holders:
                raise ConflictError("the registry was founded meanwhile")
            held = ctx.granted(uow, officer_id)
            if new:
                uow.add_person(officer)
            entries = [
                ctx.entry(
                    event=Event.REGISTRY_FOUNDED,
                    agreement_id=home.id,
                    at=now,
                    decision=decision,
                    subject=officer_id,
                    record=registry_digest(officer),
                )
            ]
            for authority in sorted(OFFICER_ONLY - held):
                entries.append(
                    self._grant(
                        uow, home, officer_id, authority, by="node", now=now, decision=decision
                    )
                )
            ctx.record(uow, entries)
        return replace(officer, authorities=OFFICER_ONLY)

    # Facilities and persons ----------------------------------------------------------------

    def add_facility(
        self, *, facility_id: str, name: str, by: str, contractor: str | None = None
    ) -> Facility:
        """Add a government or contractor facility of this party (JK-6.e)."""
        facility = Facility(id=facility_id, party=self.party, name=name, contractor=contractor)
        home, decision = self._administer("a facility", by)
        with self.ctx.store.unit_of_work() as uow:
            uow.add_facility(facility)
            self._recorded(
                uow,
                home,
                Event.FACILITY_ADDED,
                by=by,
                decision=decision,
                facility=facility.id,
                record=registry_digest(facility),
            )
        return facility

    def add_person(
        self,
        *,
        person_id: str,
        name: str,
        role: str,
        by: str,
        clearance: str | None = None,
        granted_on: date | None = None,
        expires_on: date | None = None,
        need_to_know: frozenset[str] = frozenset(),
        facilities: frozenset[str] = frozenset(),
        rank: str = "",
    ) -> Person:
        """Register a person of this party with a clearance of this party's scheme (Art.
        2(e), JK-7.2), on the registers of ``facilities`` (JK-6.e).

        Raises :class:`InputError` for an unknown role or a clearance of another scheme,
        :class:`UnknownName` for an unknown facility, :class:`PolicyDenied` (recorded) when
        ``by`` may not administer the registry.
        """
        person = self._new_person(
            person_id=person_id,
            name=name,
            role=role,
            clearance=clearance,
            granted_on=granted_on,
            expires_on=expires_on,
            need_to_know=need_to_know,
            facilities=facilities,
            rank=rank,
        )
        home, decision = self._administer("a person", by, target=person)
        with self.ctx.store.unit_of_work() as uow:
            for f in facilities:
                if uow.facility(f).party != self.party:
                    raise InputError(f"facility {f} is not a facility of {self.party}")
            uow.add_person(person)
            self._recorded(
                uow,
                home,
                Event.PERSON_ADDED,
                by=by,
                decision=decision,
                subject=person.id,
                record=registry_digest(person),
            )
        return person

    def _new_person(
        self,
        *,
        person_id: str,
        name: str,
        role: str,
        clearance: str | None,
        granted_on: date | None,
        need_to_know: frozenset[str],
        expires_on: date | None = None,
        facilities: frozenset[str] = frozenset(),
        rank: str = "",
    ) -> Person:
        try:
            role_value = Role(role)
        except ValueError:
            raise InputError(f"role must be one of {', '.join(r.value for r in Role)}") from None
        level = None
        if clearance:
            level = Clearance(
                level=self.ctx.files.schemes.parse(clearance, party=self.party),
                granted_on=granted_on or self.ctx.clock.now().date(),
                expires_on=expires_on,
            )
        for topic in need_to_know:
            if not topic or set(topic) - _TOPIC:
                raise InputError(
                    f"need-to-know topic {topic!r}: use lower-case letters, digits, - . _"
                )
        return Person(
            id=person_id,
            party=self.party,
            name=check_text(name, what="name"),
            role=role_value,
            clearance=level,
            need_to_know=frozenset(need_to_know),
            registered_at=frozenset(facilities),
            rank=rank,
            nationality=self.party,
        )

    def register(self, *, person_id: str, facility_id: str, by: str) -> Person:
        """Enter a cleared person on a facility's register (JK-6.e; the rules refuse anyone
        else, on the record)."""
        with self.ctx.store.read() as uow:
            target = self.person(uow, person_id)
        entered = replace(target, registered_at=target.registered_at | {facility_id})
        home, decision = self._administer("a register", by, target=entered)
        with self.ctx.store.unit_of_work() as uow:
            facility = uow.facility(facility_id)
            person = uow.person(person_id)
            if facility.party != self.party or person.party != self.party:
                raise InputError(f"{person_id} and {facility_id} must both be of {self.party}")
            updated = replace(person, registered_at=person.registered_at | {facility_id})
            uow.replace_person(updated)
            self._recorded(
                uow,
                home,
                Event.PERSON_REGISTERED,
                by=by,
                decision=decision,
                subject=person_id,
                facility=facility_id,
                record=registry_digest(updated),
            )
        return updated

    # Authorities ---------------------------------------------------------------------------

    def grant(self, *, person_id: str, authority: str, by: str) -> AuthorityRecord:
        """Grant ``authority`` to a person, by name (a security officer's act, recorded)."""
        return self._authority(person_id, authority, by=by, granted=True)

    def revoke(self, *, person_id: str, authority: str, by: str) -> AuthorityRecord:
        """Revoke an authority a person holds, themselves included, whether or not they could
        be granted it today (``Act.REVOKE_AUTHORITY``); their later decisions are refused."""
        return self._authority(person_id, authority, by=by, granted=False)

    def _authority(
        self, person_id: str, authority: str, *, by: str, granted: bool
    ) -> AuthorityRecord:
        ctx = self.ctx
        now = ctx.clock.now()
        which = _authority(authority)
        with ctx.store.read() as uow:
            actor, target = self.person(uow, by), self.person(uow, person_id)
        home, decision = ctx.decide_node(
            Act.GRANT_AUTHORITY if granted else Act.REVOKE_AUTHORITY,
            lambda a: AdministerRequest(
                agreement=a,
                person=actor,
                party=self.party,
                what="an authority",
                at=now,
                target=target,
                granted=which,
            ),
            person=by,
            subject=person_id,
            authority=which.value,
        )
        with ctx.store.unit_of_work() as uow:
            if granted:
                entry = self._grant(uow, home, person_id, which, by=by, now=now, decision=decision)
                ctx.record(uow, [entry])
                return self.ctx.get(uow, AuthorityRecord, f"{person_id}.{which}").record
            stored = self.ctx.get(uow, AuthorityRecord, f"{person_id}.{which}").record
            revoked = stored.advance("revoked", by=by, at=now.isoformat())
            ctx.put(uow, revoked, now=now)
            ctx.record(
                uow,
                [
                    ctx.entry(
                        event=Event.AUTHORITY_REVOKED,
                        agreement_id=home.id,
                        at=now,
                        person=by,
                        decision=decision,
                        subject=person_id,
                        authority=which.value,
                    )
                ],
            )
            return revoked

    def _grant(
        self,
        uow: UnitOfWork,
        home: Agreement,
        person_id: str,
        authority: Authority,
        *,
        by: str,
        now: datetime,
        decision: Decision,
    ) -> LedgerEntry:
        record_id = f"{person_id}.{authority}"
        try:
            was = self.ctx.get(uow, AuthorityRecord, record_id).record
            record = was.advance("granted", by=by, at=now.isoformat())
        except UnknownName:
            record = AuthorityRecord(
                id=record_id,
                state="granted",
                person=person_id,
                authority=authority.value,
                by=by,
                at=now.isoformat(),
            )
        self.ctx.put(uow, record, now=now)
        return self.ctx.entry(
            event=Event.AUTHORITY_GRANTED,
            agreement_id=home.id,
            at=now,
            person=by,
            decision=decision,
            subject=person_id,
            authority=authority.value,
        )

    def authorities(self, *, viewer: str) -> list[AuthorityRecord]:
        """Every authority granted here, and its state (for security officers)."""
        self._view(viewer)
        with self.ctx.store.read() as uow:
            return [s.record for s in self.ctx.find(uow, AuthorityRecord)]

    # Art. 16 conditions --------------------------------------------------------------------

    def record_condition(
        self,
        *,
        facility_id: str,
        condition: str,
        evidence: str,
        by: str,
        met_on: date | None = None,
    ) -> ConditionRecord:
        """Record that an Art. 16 condition is met for a contractor facility (JK-16.x), on
        ``met_on`` (today by default; an inspection, condition (g), falls due again)."""
        ctx = self.ctx
        now = ctx.clock.now()
        key = condition.strip().lower().strip("()")
        evidence = check_text(evidence, what="evidence")
        with ctx.store.read() as uow:
            actor = self.person(uow, by)
            facility = uow.facility(facility_id)
        if facility.contractor is None or facility.party != self.party:
            raise InputError(f"{facility_id} is not a contractor facility of {self.party}")
        home, decision = ctx.decide_node(
            Act.CERTIFY_CONDITION,
            lambda a: AdministerRequest(
                agreement=a, person=actor, party=self.party, what="an Art. 16 condition", at=now
            ),
            person=by,
            facility=facility_id,
        )
        known = self.conditions()
        if key not in known:
            listed = ", ".join(f"({c})" for c in sorted(known))
            raise InputError(f"Art. 16 condition must be one of {listed}, not {condition!r}")
        day = met_on or now.date()
        if day > now.date():
            raise InputError("a condition is recorded as met on a day that has come")
        record = ConditionRecord(
            id=f"{facility_id}.{key}",
            state="met",
            facility=facility_id,
            condition=key,
            text=known[key],
            evidence=evidence,
            by=by,
            met_on=day.isoformat(),
        )
        with ctx.store.unit_of_work() as uow:
            ctx.put(uow, record, now=now)
            self._recorded(
                uow,
                home,
                Event.CONDITION_MET,
                by=by,
                decision=decision,
                facility=facility_id,
                condition=key,
            )
        return record

    def conditions(self) -> dict[str, str]:
        """The contractor conditions of every agreement this party belongs to (JK-16.x)."""
        return {
            c: t
            for a in self.ctx.rulebook.governing(self.party)
            for c, t in a.contractor_conditions.items()
        }

    def missing(self, facility_id: str, *, agreement_id: str | None = None) -> list[str]:
        """The Art. 16 conditions not recorded as met (or due again) for ``facility_id``:
        of one agreement, or of every agreement of this party that lists any."""
        if agreement_id is not None:
            agreements = [self.ctx.agreement(agreement_id)]
        else:
            governing = self.ctx.rulebook.governing(self.party)
            agreements = [a for a in governing if a.contractor_conditions]
        with self.ctx.store.read() as uow:
            uow.facility(facility_id)
            met = self.ctx.conditions(uow, frozenset({facility_id})).get(facility_id, {})
        today = self.ctx.clock.now().date()
        return sorted({c for a in agreements for c in conditions_missing(a, met, today)})

    # Views ---------------------------------------------------------------------------------

    def persons(self, *, viewer: str) -> list[Person]:
        """The persons of this node with their clearances, registrations and authorities
        (for security officers)."""
        self._view(viewer)
        with self.ctx.store.read() as uow:
            return [self.person(uow, p.id) for p in uow.persons()]

    def facilities(self, *, viewer: str) -> list[Facility]:
        """The facilities of this node (for security officers)."""
        self._view(viewer)
        with self.ctx.store.read() as uow:
            return uow.facilities()

    def _view(self, viewer: str) -> None:
        now = self.ctx.clock.now()
        with self.ctx.store.read() as uow:
            person = self.person(uow, viewer)
        self.ctx.decide_node(
            Act.VIEW_REGISTRY,
            lambda a: ViewRequest(
                agreement=a, person=person, at=now, what="registry", authority=Authority.REGISTRY
            ),
            person=viewer,
        )

    # Helpers -------------------------------------------------------------------------------

    def _administer(
        self, what: str, by: str, *, target: Person | None = None
    ) -> tuple[Agreement, Decision]:
        now = self.ctx.clock.now()
        with self.ctx.store.read() as uow:
            actor = self.person(uow, by)
        return self.ctx.decide_node(
            Act.ADMINISTER,
            lambda a: AdministerRequest(
                agreement=a, person=actor, party=self.party, what=what, at=now, target=target
            ),
            person=by,
            subject=target.id if target else None,
        )

    def _recorded(
        self,
        uow: UnitOfWork,
        home: Agreement,
        event: Event,
        *,
        by: str,
        decision: Decision,
        **details: str | None,
    ) -> None:
        self.ctx.record(
            uow,
            [
                self.ctx.entry(
                    event=event,
                    agreement_id=home.id,
                    at=self.ctx.clock.now(),
                    person=by,
                    decision=decision,
                    details=details,
                )
            ],
        )


def _authority(name: str) -> Authority:
    try:
        return Authority(name.strip().lower())
    except ValueError:
        listed = ", ".join(a.value for a in Authority)
        raise InputError(f"authority must be one of {listed}, not {name!r}") from None

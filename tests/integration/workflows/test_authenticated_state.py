"""Security review H3: a database writer without the master secret changes what the rules
decide from. Each tampering of the review's rows (and more: other tables, parties,
agreements and acts) is refused when the rules read it, raises an alarm a person sees, is
named by ``audit verify`` (the store held to the ledger), and lets nothing out.

Before state-v1 every one of these was accepted: a minted token authenticated, a raised
clearance opened the item, a lowered level let an uncleared official read, an inserted
consent released an item, and ``audit verify`` said "all checks passed".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, insert, select, update

from gsomia.adapters.storage.sql import tables as t
from gsomia.errors import IntegrityError, PolicyDenied, StateTampered
from gsomia.services.node import Node
from gsomia.services.plumbing.auth import AuthService
from gsomia.services.plumbing.state import TAMPERED
from tests.support.workflows import LEVEL, TOPIC, World, build, enrol, officer

NEED = frozenset({TOPIC})


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = build(tmp_path)
    for node in w.nodes.values():
        p = node.party.lower()
        # (``{p}-low``: cleared below the items' level, with need, at the headquarters.)
        # Cleared at the level, with need, but on no facility's register.
        enrol(node, f"{p}-away", clearance=LEVEL[node.party], need=NEED)
    yield w
    for node in w.nodes.values():
        node.ctx.store.close()


def provided(world: World, sender: str, recipient: str, agreement: str) -> str:
    result = world.provide(sender, recipient, agreement=agreement)
    world.drain()
    return result.item_ids[0]


def engine(node: Node) -> Engine:
    return node.ctx.store.engine  # type: ignore[attr-defined, no-any-return]


def write(node: Node, statement: Any) -> None:
    """What a database writer does: one statement, outside the node."""
    with engine(node).begin() as conn:
        conn.execute(statement)


def alarms(node: Node) -> list[dict[str, Any]]:
    return [json.loads(a.evidence) for a in node.ctx.store.ledger.alarms() if a.finding == TAMPERED]


def findings(node: Node) -> set[tuple[str, str, str]]:
    """What a full ``audit verify`` of the store names: (table, row, problem)."""
    result = node.check_store(incremental=False)
    return {(f.table, f.row, f.problem) for f in result.findings}


def refused(act: Callable[[], object]) -> StateTampered:
    """The act fails closed on tampered state (never a policy answer computed from it)."""
    with pytest.raises(StateTampered) as caught:
        act()
    return caught.value


# Registry: persons, registrations, authorities, tokens -------------------------------------


@pytest.mark.parametrize(
    ("holder", "sender", "agreement"),
    [("KOR", "JPN", "jpn-kor-gsomia"), ("USA", "JPN", "jpn-usa-gsomia")],
)
def test_a_raised_clearance_opens_nothing(
    world: World, holder: str, sender: str, agreement: str
) -> None:
    node = world[holder]
    item = provided(world, sender, holder, agreement)
    person = f"{holder.lower()}-low"
    with pytest.raises(PolicyDenied):
        node.custody.open(item_id=item, person_id=person)
    level = node.ctx.files.schemes.parse(LEVEL[holder], party=holder).ref
    write(node, update(t.persons).where(t.persons.c.id == person).values(clearance_ref=level))
    error = refused(lambda: node.custody.open(item_id=item, person_id=person))
    assert (error.table, error.key) == ("persons", person)
    assert {"table": "persons", "row": person, "finding": error.finding} in alarms(node)
    assert ("persons", person, "changed") in findings(node)


def test_an_added_or_repointed_registration_is_refused(world: World) -> None:
    kor = world["KOR"]
    item = provided(world, "JPN", "KOR", "jpn-kor-gsomia")
    write(kor, insert(t.registrations).values(person_id="kor-away", facility_id="kor-hq"))
    refused(lambda: kor.custody.open(item_id=item, person_id="kor-away"))
    # Re-pointing a registration that exists: the low official's, to another facility.
    usa = world["USA"]
    item2 = provided(world, "JPN", "USA", "jpn-usa-gsomia")
    write(
        usa,
        update(t.registrations)
        .where(t.registrations.c.person_id == "usa-officer")
        .values(facility_id="usa-annex"),
    )
    refused(lambda: usa.custody.open(item_id=item2, person_id="usa-officer"))
    assert ("registrations", "kor-away/kor-hq", "inserted") in findings(kor)
    assert {
        ("registrations", "usa-officer/usa-annex", "inserted"),
        ("registrations", "usa-officer/usa-hq", "deleted"),
    } <= findings(usa)


def test_a_deleted_registration_cannot_be_put_back(world: World) -> None:
    """Rolling a person's register back: the node removed a registration; a writer restores
    the row it copied before (a valid seal, but not the newest the ledger accounts for)."""
    kor = world["KOR"]
    with engine(kor).connect() as conn:
        kept = dict(
            conn.execute(select(t.registrations).where(t.registrations.c.person_id == "kor-low"))
            .one()
            ._mapping
        )
    person = kor.registry.persons(viewer=officer("KOR"))
    assert any(p.id == "kor-low" for p in person)
    with kor.ctx.store.unit_of_work() as uow:
        low = uow.person("kor-low")
        from dataclasses import replace

        uow.replace_person(replace(low, registered_at=frozenset()))
    write(kor, insert(t.registrations).values(**kept))

    def read_person() -> object:
        with kor.ctx.store.read() as uow:
            return uow.person("kor-low")

    error = refused(read_person)
    assert error.table == "registrations"
    assert ("registrations", "kor-low/kor-hq", "restored") in findings(kor)


def test_a_registration_deleted_outside_the_node_is_refused(world: World) -> None:
    """A keyed read of a person holds their registrations to the journal, all in one query
    of the journal: the row of one registration gone from the store is refused."""
    kor = world["KOR"]
    write(kor, delete(t.registrations).where(t.registrations.c.person_id == "kor-low"))

    def read_person() -> object:
        with kor.ctx.store.read() as uow:
            return uow.person("kor-low")

    error = refused(read_person)
    assert (error.table, error.key) == ("registrations", "kor-low/kor-hq")
    assert "deleted outside the node" in error.finding


def test_a_minted_token_does_not_authenticate(world: World) -> None:
    jpn = world["JPN"]
    auth = AuthService(jpn.ctx)
    issued = auth.issue(person_id="jpn-low", by=officer("JPN"))
    assert auth.person(issued.token).id == "jpn-low"
    # A row for a token of the writer's choosing, copied from a real one but for the officer.
    forged = "gst_" + "A" * 43
    from gsomia.services.plumbing.auth import _token_id

    with engine(jpn).connect() as conn:
        real = dict(
            conn.execute(
                select(t.records).where(
                    t.records.c.kind == "token", t.records.c.id == issued.token_id
                )
            )
            .one()
            ._mapping
        )
    body = json.loads(real["body"])
    body["person"] = officer("JPN")
    write(
        jpn, insert(t.records).values({**real, "id": _token_id(forged), "body": json.dumps(body)})
    )
    with pytest.raises(IntegrityError):
        auth.person(forged)
    assert any(a["table"] == "records" for a in alarms(jpn))
    assert ("records", f"token/{_token_id(forged)}@1", "inserted") in findings(jpn)
    # The real token still works: one forged row does not stop the node.
    assert auth.person(issued.token).id == "jpn-low"


def test_a_revoked_authority_cannot_be_rolled_back(world: World) -> None:
    """The newest version of a grant (its revocation) deleted: the older, validly sealed
    grant is not the newest the ledger accounts for."""
    kor = world["KOR"]
    kor.registry.grant(person_id="kor-low", authority="incidents", by=f"{'kor'}-registrar")
    kor.registry.revoke(person_id="kor-low", authority="incidents", by="kor-registrar")
    write(
        kor,
        delete(t.records).where(
            t.records.c.kind == "authority",
            t.records.c.id.startswith("kor-low."),
            t.records.c.version == 2,
        ),
    )
    item = provided(world, "JPN", "KOR", "jpn-kor-gsomia")
    error = refused(
        lambda: kor.incidents.report(
            item_ids=[item], kind="loss", possible=True, by="kor-low", description="x"
        )
    )
    assert error.table == "records"
    assert any(row[0] == "records" and row[2] == "deleted" for row in findings(kor))


# Items and labels ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("level_ref", "JPN:HI"),
        ("holder_level_ref", "KOR:GUNSA_III"),
        ("topic", "nk-nuclear"),
        ("facility_id", "kor-annex"),
    ],
)
def test_an_items_marking_topic_or_facility_cannot_be_changed(
    world: World, column: str, value: str
) -> None:
    kor = world["KOR"]
    item = provided(world, "JPN", "KOR", "jpn-kor-gsomia")
    write(kor, update(t.items).where(t.items.c.id == item).values({column: value}))
    for person in ("kor-low", officer("KOR")):
        error = refused(lambda p=person: kor.custody.open(item_id=item, person_id=p))
        assert (error.table, error.key) == ("items", item)
    assert ("items", item, "changed") in findings(kor)


def test_a_deleted_label_version_is_named_and_the_item_opens_for_nobody(world: World) -> None:
    usa = world["USA"]
    item = provided(world, "JPN", "USA", "jpn-usa-gsomia")
    write(usa, delete(t.labels).where(t.labels.c.item_id == item, t.labels.c.revision == 2))
    refused(lambda: usa.custody.open(item_id=item, person_id=officer("USA")))
    assert ("labels", f"{item}@2", "deleted") in findings(usa)


def test_an_older_label_version_deleted_is_named(world: World) -> None:
    kor = world["KOR"]
    item = provided(world, "JPN", "KOR", "jpn-kor-gsomia")
    write(kor, delete(t.labels).where(t.labels.c.item_id == item, t.labels.c.revision == 1))
    # The item's current label is intact: the rules still decide from it.
    assert kor.custody.open(item_id=item, person_id=officer("KOR"))
    assert ("labels", f"{item}@1", "deleted") in findings(kor)


def test_an_item_row_rolled_back_is_refused(world: World) -> None:
    """A copy of the row taken before the item was placed at a facility, written back."""
    kor = world["KOR"]
    item = provided(world, "JPN", "KOR", "jpn-kor-gsomia")
    with engine(kor).connect() as conn:
        before = dict(conn.execute(select(t.items).where(t.items.c.id == item)).one()._mapping)
    kor.custody.place(item_id=item, facility_id="kor-annex", by=officer("KOR"))
    write(kor, update(t.items).where(t.items.c.id == item).values(**before))
    error = refused(lambda: kor.custody.open(item_id=item, person_id=officer("KOR")))
    assert error.finding == "is not the newest version the ledger accounts for"
    assert ("items", item, "rolled back") in findings(kor)


# Workflow records ------------------------------------------------------------------------


def test_an_inserted_consent_releases_nothing(world: World) -> None:
    kor = world["KOR"]
    item = provided(world, "JPN", "KOR", "jpn-kor-gsomia")
    row = {
        "kind": "consent",
        "id": "forged-consent",
        "version": 1,
        "state": "granted",
        "item_id": item,
        "body": json.dumps({"role": "requester", "kind": "release", "to_party": "USA"}),
        "document": b"",
        "updated_at": world.clock.now(),
    }
    write(kor, insert(t.records).values(**row))
    with pytest.raises((StateTampered, PolicyDenied)):
        kor.release.release(item_id=item, to_party="USA", by=officer("KOR"))
    assert ("records", "consent/forged-consent@1", "inserted") in findings(kor)
    with kor.ctx.store.read() as uow:
        assert uow.outbox_counts().get("pending", 0) == 0


# The journal and the audit ------------------------------------------------------------------


def test_deleting_the_journal_is_named_by_the_ledger(world: World) -> None:
    jpn = world["JPN"]
    provided(world, "JPN", "KOR", "jpn-kor-gsomia")
    with engine(jpn).connect() as conn:
        last = conn.execute(
            select(t.state_journal.c.entry).order_by(t.state_journal.c.seq.desc())
        ).first()
    assert last is not None
    write(jpn, delete(t.state_journal).where(t.state_journal.c.entry == last.entry))
    assert ("state_journal", f"entry {last.entry}", "deleted") in findings(jpn)


def test_an_untouched_store_is_accounted_for_in_full_and_incrementally(world: World) -> None:
    for sender, recipient, agreement in (
        ("JPN", "KOR", "jpn-kor-gsomia"),
        ("JPN", "USA", "jpn-usa-gsomia"),
        ("KOR", "USA", "kor-usa-gsomia"),
    ):
        provided(world, sender, recipient, agreement)
    for node in world.nodes.values():
        full = node.check_store(incremental=False)
        assert full.ok and full.rows > 0, full.findings
        provided(world, "JPN", "KOR", "jpn-kor-gsomia")
        step = node.check_store(incremental=True)
        assert step.ok and step.incremental, step.findings
        assert alarms(node) == []


def test_an_incremental_check_sees_a_deleted_row_in_the_counts(world: World) -> None:
    kor = world["KOR"]
    item = provided(world, "JPN", "KOR", "jpn-kor-gsomia")
    assert kor.check_store(incremental=False).ok
    write(kor, delete(t.facilities).where(t.facilities.c.id == "kor-annex"))
    step = kor.check_store(incremental=True)
    assert [(f.table, f.problem) for f in step.findings] == [("facilities", "count")]
    assert ("facilities", "kor-annex", "deleted") in findings(kor)
    assert kor.custody.open(item_id=item, person_id=officer("KOR"))

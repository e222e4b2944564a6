"""Three in-process nodes (JPN, KOR, USA) with people, for the workflow tests.

Each node has its own SQLite store in a temporary directory, its own keyring, one simulated
clock shared by all (so dates can be set and moved), and the in-process network between
them. ``counts`` snapshots every table a workflow writes, so a test can assert that a
refused or malformed act stored nothing.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from gsomia.adapters.clock import SimulatedClock
from gsomia.adapters.peers.inproc import InProcessNetwork
from gsomia.adapters.storage.memory_store import MemoryStore
from gsomia.agreement_files import load_library
from gsomia.bootstrap import (
    MEMORY_URL,
    Member,
    connect_in_process,
    demonstration_registry,
    fresh_node,
)
from gsomia.core.agreements import AgreementLibrary
from gsomia.core.people import Authority
from gsomia.crypto import Keyring
from gsomia.ledger.entries import Event, LedgerEntry
from gsomia.services.acts.custody import Provision, ProvisionResult
from gsomia.services.node import Node

T0 = datetime(2019, 10, 2, 9, 0, tzinfo=UTC)
#: When the template registries were made (and their clearances granted).
REGISTERED = datetime(2015, 1, 5, 9, 0, tzinfo=UTC)
LEVEL = {"JPN": "極秘", "KOR": "군사II급비밀", "USA": "SECRET"}
LOW = {"JPN": "秘", "KOR": "군사III급비밀", "USA": "CONFIDENTIAL"}
TOPIC = "nk-missile"
TABLES = ("items", "labels", "item_keys", "records", "outbox", "inbox")
#: A master secret for test homes only (high-entropy, as the node requires).
SECRET = "pT4vQ9xL2mK7sR1wY8zB3nC6dF0hJ5gAeUoIiVbXyZA"


@functools.cache
def library(*, as_signed: bool = False) -> AgreementLibrary:
    """The shipped agreements; ``as_signed`` drops the events the files record."""
    lib = load_library([])
    if not as_signed:
        return lib
    for agreement in lib:
        lib = lib.replace(replace(agreement, events=()))
    return lib


@dataclass
class World:
    """The nodes, the clock and the network of one test."""

    clock: SimulatedClock
    nodes: dict[str, Node]
    network: InProcessNetwork
    items: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, party: str) -> Node:
        return self.nodes[party]

    def drain(self, rounds: int = 4) -> None:
        """Deliver everything every node has queued, until nothing moves."""
        for _ in range(rounds):
            moved = sum(n.delivery.drain().delivered for n in self.nodes.values())
            if moved == 0:
                return

    def later(self, **delta: float) -> None:
        self.clock.advance(timedelta(**delta))

    def provide(
        self,
        sender: str = "JPN",
        recipient: str = "KOR",
        *,
        agreement: str | None = None,
        contents: tuple[bytes, ...] = (b"launch point 39.0N 125.7E",),
        level: str | None = None,
        topic: str = TOPIC,
    ) -> ProvisionResult:
        return self[sender].custody.provide(
            contents=list(contents),
            provision=Provision(
                recipient=recipient,
                level=level or LEVEL[sender],
                topic=topic,
                purpose="missile warning",
                agreement_id=agreement,
            ),
            by=officer(sender),
        )


def officer(party: str) -> str:
    return f"{party.lower()}-officer"


def official(party: str) -> str:
    return f"{party.lower()}-official"


def lapsing_officer(
    node: Node,
    authority: str,
    *,
    lapses_in: int = 1,
    suffix: str = "",
    role: str = "security-officer",
) -> str:
    """A person of ``node``'s party (a security officer unless ``role`` says otherwise),
    cleared for ``lapses_in`` more days and granted ``authority`` today by the party's
    officer; their id."""
    party = node.party
    today = node.ctx.clock.now().date()
    person = f"{party.lower()}-{'so' if role == 'security-officer' else role}-lapsing{suffix}"
    node.registry.add_person(
        person_id=person,
        name="Lapsing",
        role=role,
        clearance=str(LEVEL[party]),
        granted_on=today - timedelta(days=400),
        expires_on=today + timedelta(days=lapses_in),
        need_to_know=frozenset({"nk-missile"}),
        by=officer(party),
    )
    node.registry.grant(person_id=person, authority=authority, by=officer(party))
    return person


def build(
    root: Path,
    *,
    start: datetime = T0,
    as_signed: bool = False,
    parties: tuple[str, ...] = ("JPN", "KOR", "USA"),
    store: str = "sqlite",
) -> World:
    """Nodes for ``parties`` under ``root``, connected, with their people registered.

    On SQLite (``store``) the stores start as copies of one template per party (schema and
    people made once per test session), since every registry change is a durable commit of
    its own; in memory (``store="memory"``) each node registers its people afresh.
    """
    clock = SimulatedClock(start)
    lib = library(as_signed=as_signed)
    nodes = {}
    if store == "memory":
        for party in parties:
            nodes[party] = _node(root, party, lib, SimulatedClock(REGISTERED), url=MEMORY_URL)
            _people(nodes[party], party)
            nodes[party].ctx.clock = clock
        network = connect_in_process(list(nodes.values()))
        return World(clock=clock, nodes=nodes, network=network)
    template, keyrings = _template()
    for party in parties:
        shutil.copyfile(template / f"{party.lower()}.db", root / f"{party.lower()}.db")
        nodes[party] = _node(root, party, lib, clock, keyring=keyrings[party])
    network = connect_in_process(list(nodes.values()))
    return World(clock=clock, nodes=nodes, network=network)


def build_on(urls: dict[str, str], *, start: datetime = T0) -> World:
    """Nodes on the given store URLs (e.g. PostgreSQL schemas), with their people."""
    clock = SimulatedClock(start)
    nodes = {}
    for party, url in urls.items():
        nodes[party] = _node(Path(), party, library(), clock, url=url)
        _people(nodes[party], party)
    network = connect_in_process(list(nodes.values()))
    return World(clock=clock, nodes=nodes, network=network)


def _node(
    root: Path,
    party: str,
    lib: AgreementLibrary,
    clock: SimulatedClock,
    *,
    url: str = "",
    keyring: Keyring | None = None,
) -> Node:
    return fresh_node(
        url or f"sqlite:///{root / party.lower()}.db",
        party=party,
        library=lib,
        clock=clock,
        default_facility=f"{party.lower()}-hq",
        keyring=keyring,
    )


@functools.cache
def _template() -> tuple[Path, dict[str, Keyring]]:
    """Stores of JPN, KOR and USA with their facilities and people, made once, and the
    keyrings whose state keys sealed them."""
    root = Path(tempfile.mkdtemp(prefix="gsomia-template-"))
    clock = SimulatedClock(REGISTERED)  # clearances granted well before any test's dates
    keyrings = {}
    for party in ("JPN", "KOR", "USA"):
        node = _node(root, party, library(), clock)
        _people(node, party)
        node.ctx.store.purge_destroyed_keys()  # a WAL checkpoint: everything in the .db file
        node.ctx.store.close()
        keyrings[party] = node.ctx.keyring
    return root, keyrings


def registrar(party: str) -> str:
    return f"{party.lower()}-registrar"


def _people(node: Node, party: str) -> None:
    """The registrar founds the registry and grants the officer every authority; the
    others hold none (the role alone authorises nothing beyond access)."""
    p = party.lower()
    need = frozenset({TOPIC, "nk-nuclear"})
    members = [
        Member(
            person_id=officer(party),
            name="Officer",
            role="security-officer",
            clearance=LEVEL[party],
            need_to_know=need,
            authorities=tuple(Authority),
        ),
    ]
    for person_id, name, role, clearance, need_to_know in (
        (official(party), "Official", "official", LEVEL[party], need),
        (f"{p}-low", "Low", "official", LOW[party], need),
        (f"{p}-noneed", "No need", "official", LEVEL[party], frozenset()),
        (f"{p}-translator", "Translator", "translator", LEVEL[party], need),
        (f"{p}-uncleared-translator", "Translator 2", "translator", None, need),
    ):
        members.append(
            Member(
                person_id=person_id,
                name=name,
                role=role,
                clearance=clearance,
                need_to_know=need_to_know,
            )
        )
    demonstration_registry(
        node,
        facility=f"{p}-hq",
        facility_name=f"{party} headquarters",
        registrar=Member(
            person_id=registrar(party),
            name="Registrar",
            role="security-officer",
            clearance=LEVEL[party],
            need_to_know=need,
        ),
        members=members,
    )
    node.registry.add_facility(facility_id=f"{p}-annex", name=f"{party} annex", by=registrar(party))


def counts(node: Node) -> dict[str, int]:
    """Rows in every table a workflow writes, and the ledger's size."""
    store = node.ctx.store
    if isinstance(store, MemoryStore):
        sizes = store.table_sizes()
        out = {t: sizes[t] for t in TABLES}
        out["ledger"] = store.ledger.size()
        return out
    engine = store.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        out = {t: int(conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()) for t in TABLES}
    out["ledger"] = node.ctx.store.ledger.size()
    return out


def ledger_events(node: Node) -> list[str]:
    """The events of a node's ledger, in order, but its accounts of sealed rows
    (``state.recorded``, one per unit of work that wrote any)."""
    return [e.event.value for e in acts(node)]


def acts(node: Node) -> list[LedgerEntry]:
    """A node's ledger entries, in order, but its accounts of sealed rows."""
    log = node.ctx.store.ledger
    entries = (LedgerEntry.from_bytes(e) for e in log.iter_entries(0, log.size()))
    return [e for e in entries if e.event is not Event.STATE_RECORDED]


def enrol(
    node: Node,
    person_id: str,
    *,
    role: str = "official",
    clearance: str | None = None,
    need: frozenset[str] = frozenset(),
    facilities: frozenset[str] = frozenset(),
    authorities: tuple[str, ...] = (),
    expires_on: date | None = None,
) -> str:
    """Register a person through the registry (by the party's registrar), with a clearance
    until ``expires_on`` if given, and grant them ``authorities``; returns their id."""
    by = registrar(node.party)
    node.registry.add_person(
        person_id=person_id,
        name=person_id.title(),
        role=role,
        clearance=clearance,
        granted_on=None if expires_on is None else expires_on - timedelta(days=400),
        expires_on=expires_on,
        need_to_know=need,
        facilities=facilities,
        by=by,
    )
    for authority in authorities:
        node.registry.grant(person_id=person_id, authority=authority, by=by)
    return person_id


def refusals(node: Node) -> list[tuple[str, tuple[str, ...], str]]:
    """Every refusal in a node's ledger: (agreement, rule ids, person)."""
    from gsomia.ledger.entries import Event, LedgerEntry

    size = node.ctx.store.ledger.size()
    out = []
    for raw in node.ctx.store.ledger.entries(0, size):
        entry = LedgerEntry.from_bytes(raw)
        if entry.event is Event.ITEM_REFUSED:
            out.append((entry.agreement_id, entry.rule_ids, entry.actor.person))
    return out

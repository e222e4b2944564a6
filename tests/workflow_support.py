"""Three in-process nodes (JPN, KOR, USA) with people, for the workflow tests.

Each node has its own SQLite store in a temporary directory, its own keyring, one simulated
clock shared by all (so dates can be set and moved), and the in-process network between
them. ``counts`` snapshots every table a workflow writes, so a test can assert that a
refused or malformed act stored nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from gsomia.adapters.clock import RandomIds, SimulatedClock
from gsomia.adapters.peers.inproc import InProcessNetwork
from gsomia.adapters.storage.sql import open_store
from gsomia.agreement_files import AgreementLibrary, load_library
from gsomia.bootstrap import connect_in_process
from gsomia.crypto import generate_keyring
from gsomia.services.custody import Provision, ProvisionResult
from gsomia.services.node import Node, ledger_origin

T0 = datetime(2019, 10, 2, 9, 0, tzinfo=UTC)
LEVEL = {"JPN": "極秘", "KOR": "군사II급비밀", "USA": "SECRET"}
LOW = {"JPN": "秘", "KOR": "군사III급비밀", "USA": "CONFIDENTIAL"}
TOPIC = "nk-missile"
TABLES = ("items", "labels", "item_keys", "records", "outbox", "inbox")


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


def build(
    root: Path,
    *,
    start: datetime = T0,
    as_signed: bool = False,
    parties: tuple[str, ...] = ("JPN", "KOR", "USA"),
) -> World:
    """Nodes for ``parties`` under ``root``, connected, with their people registered."""
    clock = SimulatedClock(start)
    lib = library(as_signed=as_signed)
    nodes = {}
    for party in parties:
        store = open_store(
            f"sqlite:///{root / party.lower()}.db",
            schemes=lib.schemes,
            ledger_origin=ledger_origin(party),
        )
        nodes[party] = Node.assemble(
            party=party,
            store=store,
            keyring=generate_keyring(party=party, now=clock.now()),
            clock=clock,
            ids=RandomIds(),
            agreements=lib,
            default_facility=f"{party.lower()}-hq",
        )
    network = connect_in_process(list(nodes.values()))
    for party, node in nodes.items():
        _people(node, party)
    return World(clock=clock, nodes=nodes, network=network)


def _people(node: Node, party: str) -> None:
    p = party.lower()
    hq = frozenset({f"{p}-hq"})
    need = frozenset({TOPIC, "nk-nuclear"})
    node.registry.add_facility(facility_id=f"{p}-hq", name=f"{party} headquarters")
    node.registry.add_facility(facility_id=f"{p}-annex", name=f"{party} annex")
    add = node.registry.add_person
    add(
        person_id=officer(party),
        name="Officer",
        role="security-officer",
        clearance=LEVEL[party],
        need_to_know=need,
        facilities=hq,
    )
    add(
        person_id=official(party),
        name="Official",
        role="official",
        clearance=LEVEL[party],
        need_to_know=need,
        facilities=hq,
    )
    add(
        person_id=f"{p}-low",
        name="Low",
        role="official",
        clearance=LOW[party],
        need_to_know=need,
        facilities=hq,
    )
    add(
        person_id=f"{p}-noneed",
        name="No need",
        role="official",
        clearance=LEVEL[party],
        facilities=hq,
    )
    add(
        person_id=f"{p}-translator",
        name="Translator",
        role="translator",
        clearance=LEVEL[party],
        need_to_know=need,
        facilities=hq,
    )
    add(
        person_id=f"{p}-uncleared-translator",
        name="Translator 2",
        role="translator",
        need_to_know=need,
        facilities=hq,
    )


def counts(node: Node) -> dict[str, int]:
    """Rows in every table a workflow writes, and the ledger's size."""
    engine = node.ctx.store.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        out = {t: int(conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()) for t in TABLES}
    out["ledger"] = node.ctx.store.ledger.size()
    return out


def ledger_events(node: Node) -> list[str]:
    """The events of a node's ledger, in order."""
    from gsomia.ledger.entries import LedgerEntry

    size = node.ctx.store.ledger.size()
    return [LedgerEntry.from_bytes(e).event.value for e in node.ctx.store.ledger.entries(0, size)]

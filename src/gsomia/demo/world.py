"""The demo's world: JPN, KOR and USA nodes on SQLite in a fresh folder, on one simulated
clock, connected in process (composition root).

Each node starts from the agreements **as signed** (the files' recorded events left out), so
the 2019 notice, its suspension and the 2023 withdrawal happen through the notes workflow on
their dates, as the parties did them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from gsomia.adapters.clock import RandomIds, SimulatedClock
from gsomia.adapters.peers.inproc import InProcessNetwork
from gsomia.bootstrap import (
    Member,
    connect_in_process,
    demonstration_registry,
    init_home,
    open_node,
)
from gsomia.core.people import Authority
from gsomia.crypto import MasterSecret
from gsomia.services.node import Node

__all__ = ["OFFICERS", "World", "build_world"]

#: Each party's duty security officer: id, name, clearance in its own scheme.
OFFICERS = {
    "JPN": ("sato", "Sato Kenji", "極秘"),
    "KOR": ("kim", "Kim Min-jun", "군사II급비밀"),
    "USA": ("smith", "Jordan Smith", "SECRET"),
}
#: An analyst per party, cleared one level lower (refused where the rules say so).
ANALYSTS = {
    "JPN": ("tanaka", "Tanaka Yui", "秘"),
    "KOR": ("lee", "Lee Ji-woo", "군사III급비밀"),
    "USA": ("brown", "Casey Brown", "CONFIDENTIAL"),
}
START = datetime(2016, 11, 22, 15, 0, tzinfo=UTC)  # 00:00 on 23 Nov 2016 in UTC+9


@dataclass
class World:
    """The three nodes, their clock and network."""

    root: Path
    clock: SimulatedClock
    nodes: dict[str, Node]
    network: InProcessNetwork

    def officer(self, party: str) -> str:
        return OFFICERS[party][0]

    def close(self) -> None:
        for node in self.nodes.values():
            node.ctx.store.close()


def build_world(root: Path) -> World:
    """Create the three node homes under ``root/nodes`` and open them."""
    clock = SimulatedClock(START)
    base = root / "nodes"
    base.mkdir(parents=True, exist_ok=True)
    nodes: dict[str, Node] = {}
    for party in OFFICERS:
        secret = MasterSecret.generate()
        secret_file = base / f"{party.lower()}.secret"
        secret_file.write_text(secret)
        os.chmod(secret_file, 0o600)
        master = MasterSecret.from_text(secret)
        home = base / party.lower()
        init_home(home, party=party, now=clock.now(), master=master, import_agreement_events=False)
        with (home / "node.toml").open("a", encoding="utf-8") as toml:
            toml.write(f'master_secret_file = "{secret_file}"\n')
        nodes[party] = open_node(
            home,
            master=master,
            clock=clock,
            ids=RandomIds(),
            default_facility=f"{party.lower()}-hq",
        )
    network = connect_in_process(list(nodes.values()))
    for party, node in nodes.items():
        _register(node, party)
        from gsomia.bootstrap import save_keyring

        save_keyring(
            base / party.lower(),
            node.ctx.keyring,
            MasterSecret.from_text((base / f"{party.lower()}.secret").read_text()),
        )
    return World(root=root, clock=clock, nodes=nodes, network=network)


def _register(node: Node, party: str) -> dict[str, list[str]]:
    """Each party's registry: a registrar founds it and grants the duty officer every
    authority the demonstration needs; the analyst holds none."""
    needs = frozenset({"nk-missile", "nk-nuclear"})
    officer, analyst = OFFICERS[party], ANALYSTS[party]
    held = demonstration_registry(
        node,
        facility=f"{party.lower()}-hq",
        facility_name=f"{party} headquarters",
        registrar=Member(
            person_id=f"{party.lower()}-registrar",
            name=f"{party} registrar",
            role="security-officer",
            clearance=officer[2],
            need_to_know=needs,
        ),
        members=[
            Member(
                person_id=officer[0],
                name=officer[1],
                role="security-officer",
                clearance=officer[2],
                need_to_know=needs,
                authorities=tuple(Authority),
            ),
            Member(
                person_id=analyst[0],
                name=analyst[1],
                role="official",
                clearance=analyst[2],
                need_to_know=needs,
            ),
        ],
    )
    node.set_duty_officer(officer[0])
    return held


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """An instant in UTC+9 (the agreements' own time zone), as UTC."""
    from datetime import timedelta, timezone

    return datetime(year, month, day, hour, minute, tzinfo=timezone(timedelta(hours=9))).astimezone(
        UTC
    )

"""Warning streams across node restarts (crypto review M2, L1): a restarted receiver still
refuses frames it opened before, learns its streams again and follows the live stream; a
resumed sender continues above every sequence number it used, whatever its clock did."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gsomia.adapters.clock import SimulatedClock
from gsomia.agreement_files import load_library
from gsomia.bootstrap import connect_in_process
from gsomia.errors import TransportError
from gsomia.services.feed import unbundle
from gsomia.services.node import Node, ledger_origin
from gsomia.warning.tracking.sharing import WARNING_FORMAT, SharedWarning

OFFICER = {"JPN": "極秘", "KOR": "군사II급비밀"}
T0 = datetime(2019, 10, 2, 7, 11, tzinfo=UTC)


class Cluster:
    """KOR and JPN nodes on SQLite files that can be restarted with the same keyrings."""

    def __init__(self, root: Path) -> None:
        from gsomia.crypto import generate_keyring

        self.root = root
        self.clock = SimulatedClock(T0)
        self.library = load_library([])
        self.keyrings = {p: generate_keyring(party=p, now=T0) for p in OFFICER}
        self.nodes: dict[str, Node] = {}
        self.got: list[SharedWarning] = []
        for party in OFFICER:
            self.nodes[party] = self._open(party)
            self._people(self.nodes[party])
        self._connect()

    def _open(self, party: str) -> Node:
        from gsomia.adapters.clock import RandomIds
        from gsomia.adapters.storage.sql import open_store

        store = open_store(
            f"sqlite:///{self.root}/{party}.db",
            schemes=self.library.schemes,
            ledger_origin=ledger_origin(party),
        )
        return Node.assemble(
            party=party,
            store=store,
            keyring=self.keyrings[party],
            clock=self.clock,
            ids=RandomIds(),
            agreements=self.library,
            default_facility=f"{party.lower()}-hq",
        )

    @staticmethod
    def _people(node: Node) -> None:
        hq = f"{node.party.lower()}-hq"
        node.registry.found(
            officer_id="duty",
            name="Duty",
            clearance=OFFICER[node.party],
            need_to_know=frozenset({"nk-missile"}),
        )
        node.registry.add_facility(facility_id=hq, name="hq", by="duty")
        node.registry.register(person_id="duty", facility_id=hq, by="duty")

    def _connect(self) -> None:
        self.network = connect_in_process(list(self.nodes.values()))
        for party, node in self.nodes.items():
            self.keyrings[party] = node.ctx.keyring
        jpn = self.nodes["JPN"]
        if not getattr(jpn, "_watched", False):
            jpn.feed.on_warning(lambda w, _t: self.got.append(w))
            jpn._watched = True  # type: ignore[attr-defined]

    def restart(self, party: str) -> None:
        self.nodes[party].ctx.store.close()
        self.nodes[party] = self._open(party)
        self._connect()

    def close(self) -> None:
        for node in self.nodes.values():
            node.ctx.store.close()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    c = Cluster(tmp_path)
    yield c
    c.close()


def warning(n: int) -> SharedWarning:
    identity = tuple(tuple(float(i == j) for j in range(6)) for i in range(6))
    return SharedWarning(
        format=WARNING_FORMAT,
        originator="KOR",
        warning_id=f"trk-{n}",
        t=100.0 + n,
        state=(1.0, 2.0, 3.0, 4.0, 5.0, 6.0),
        cov=identity,
        launch=None,
        impact=None,
    )


def capture(cluster: Cluster) -> list[bytes]:
    sent: list[bytes] = []
    transport = cluster.nodes["KOR"].delivery.transport
    assert transport is not None
    original = transport.send

    def keep(destination: str, payload: bytes) -> bytes:
        sent.append(payload)
        return original(destination, payload)

    transport.send = keep  # type: ignore[method-assign]
    return sent


def test_a_restarted_receiver_refuses_a_replay_and_follows_the_stream(cluster: Cluster) -> None:
    kor = cluster.nodes["KOR"]
    stream = kor.feed.open_stream(recipient="JPN", level="군사II급비밀", by="duty")
    kor.delivery.drain()
    sent = capture(cluster)
    kor.feed.publish(stream, [warning(1), warning(2)])
    assert [w.warning_id for w in cluster.got] == ["trk-1", "trk-2"]
    cluster.restart("JPN")
    cluster.nodes["JPN"].inbox(sent[0], peer="KOR")  # the relay replays what it saw
    assert [w.warning_id for w in cluster.got] == ["trk-1", "trk-2"]
    assert cluster.nodes["JPN"].feed.counts["dropped"] == 2
    cluster.clock.advance(timedelta(seconds=3))
    kor = cluster.nodes["KOR"]
    kor.feed.publish(stream, [warning(3)])
    assert [w.warning_id for w in cluster.got][-1] == "trk-3"


def test_a_frame_held_back_too_long_is_dropped(cluster: Cluster) -> None:
    kor = cluster.nodes["KOR"]
    stream = kor.feed.open_stream(recipient="JPN", level="군사II급비밀", by="duty")
    kor.delivery.drain()
    cluster.network.down("JPN")
    sent = capture(cluster)
    with pytest.raises(TransportError):  # JPN is unreachable: the frame is lost
        kor.feed.publish(stream, [warning(1)])
    cluster.network.up("JPN")
    cluster.clock.advance(timedelta(hours=2))
    cluster.nodes["JPN"].inbox(sent[0], peer="KOR")
    assert cluster.got == [] and cluster.nodes["JPN"].feed.counts["dropped"] == 1


def test_a_resumed_sender_never_reuses_a_sequence_number(cluster: Cluster) -> None:
    kor = cluster.nodes["KOR"]
    stream = kor.feed.open_stream(recipient="JPN", level="군사II급비밀", by="duty")
    kor.delivery.drain()
    sent = capture(cluster)
    kor.feed.publish(stream, [warning(1), warning(2)])
    cluster.restart("KOR")
    cluster.clock.advance(timedelta(seconds=-5))  # the sender's clock stepped back
    resumed = cluster.nodes["KOR"].feed.resume_stream(stream.stream_id)
    assert resumed.label == stream.label
    more = capture(cluster)
    cluster.nodes["KOR"].feed.publish(resumed, [warning(3)])
    headers = [frame[:35] for payload in sent + more for frame in unbundle(payload)[1]]
    assert len(set(headers)) == len(headers) == 3
    assert [w.warning_id for w in cluster.got] == ["trk-1", "trk-2", "trk-3"]

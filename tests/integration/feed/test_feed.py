"""The real-time warning feed between in-process nodes: direct, through the hub, refusals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gsomia.adapters.bus.inproc import InProcessBus
from gsomia.adapters.clock import SimulatedClock
from gsomia.agreement_files import load_library
from gsomia.bootstrap import Member, connect_in_process, demonstration_registry, fresh_node
from gsomia.core.people import Authority
from gsomia.errors import IntegrityError, PolicyDenied
from gsomia.services.feed import STREAM_TOPIC, bundle, unbundle
from gsomia.services.node import Node
from gsomia.warning.tracking.sharing import WARNING_FORMAT, SharedWarning

OFFICER = {"JPN": "極秘", "KOR": "군사II급비밀", "USA": "SECRET"}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[dict[str, Node], SimulatedClock, list[SharedWarning]]]:
    library = load_library([])
    clock = SimulatedClock(datetime(2019, 10, 2, 7, 11, tzinfo=UTC))
    nodes = {}
    for party in ("JPN", "KOR", "USA"):
        node = fresh_node(
            f"sqlite:///{tmp_path}/{party}.db",
            party=party,
            library=library,
            clock=clock,
            default_facility=f"{party.lower()}-hq",
        )
        demonstration_registry(
            node,
            facility=f"{party.lower()}-hq",
            facility_name="hq",
            registrar=Member(
                person_id="registrar",
                name="Registrar",
                role="security-officer",
                clearance=OFFICER[party],
            ),
            members=[
                Member(
                    person_id="duty",
                    name="Duty",
                    role="security-officer",
                    clearance=OFFICER[party],
                    need_to_know=frozenset({"nk-missile"}),
                    authorities=tuple(Authority),
                )
            ],
        )
        nodes[party] = node
    connect_in_process(list(nodes.values()))
    got: list[SharedWarning] = []
    nodes["JPN"].feed.on_warning(lambda w, _t: got.append(w))
    yield nodes, clock, got
    for node in nodes.values():
        node.ctx.store.close()


def warning(t: float = 100.0) -> SharedWarning:
    identity = tuple(tuple(float(i == j) for j in range(6)) for i in range(6))
    return SharedWarning(
        format=WARNING_FORMAT,
        originator="KOR",
        warning_id="trk-1",
        t=t,
        state=(1.0, 2.0, 3.0, 4.0, 5.0, 6.0),
        cov=identity,
        launch=None,
        impact=None,
    )


def test_direct_under_the_gsomia(
    world: tuple[dict[str, Node], SimulatedClock, list[SharedWarning]],
) -> None:
    nodes, _, got = world
    stream = nodes["KOR"].feed.open_stream(recipient="JPN", level="군사II급비밀", by="duty")
    assert stream.route == ("KOR", "JPN") and stream.label.agreement_id == "jpn-kor-gsomia"
    nodes["KOR"].delivery.drain()
    assert nodes["KOR"].feed.publish(stream, [warning(), warning(101.0)]) == 2
    assert [w.t for w in got] == [100.0, 101.0]
    assert got[0].originator == "KOR" and got[0].state == (1.0, 2.0, 3.0, 4.0, 5.0, 6.0)


def test_a_stream_is_opened_under_the_topic_its_opener_names_and_needs(
    world: tuple[dict[str, Node], SimulatedClock, list[SharedWarning]],
) -> None:
    """The topic is the opener's choice and the rules weigh it: an officer who needs only
    nk-missile opens no nk-nuclear stream (JK-7.2), and nothing reaches the partner."""
    nodes, _, _ = world
    with pytest.raises(PolicyDenied, match="no official need to know nk-nuclear"):
        nodes["KOR"].feed.open_stream(
            recipient="JPN", level="군사II급비밀", by="duty", topic="nk-nuclear"
        )
    assert nodes["KOR"].delivery.drain().delivered == 0
    stream = nodes["KOR"].feed.open_stream(recipient="JPN", level="군사II급비밀", by="duty")
    assert stream.label.topic == STREAM_TOPIC == "nk-missile"


def test_received_warnings_fan_out_on_the_bus(
    world: tuple[dict[str, Node], SimulatedClock, list[SharedWarning]],
) -> None:
    nodes, _, _ = world
    bus = InProcessBus()
    nodes["JPN"].feed.bus = bus
    seen: list[bytes] = []
    bus.subscribe(nodes["JPN"].feed.subject, seen.append)
    stream = nodes["KOR"].feed.open_stream(recipient="JPN", level="군사II급비밀", by="duty")
    nodes["KOR"].delivery.drain()
    nodes["KOR"].feed.publish(stream, [warning()])
    bus.flush()
    # Crypto review M6: what the bus holds is sealed for JPN alone, bound to the subject.
    assert [nodes["JPN"].feed.open_published(p).warning_id for p in seen] == ["trk-1"]
    assert all(b"trk-1" not in p and b"warning_id" not in p for p in seen)
    for other in ("KOR", "USA"):
        with pytest.raises(IntegrityError):
            nodes[other].feed.open_published(seen[0])
    bus.close()


def test_a_replayed_or_tampered_frame_is_dropped(
    world: tuple[dict[str, Node], SimulatedClock, list[SharedWarning]],
) -> None:
    nodes, _, got = world
    stream = nodes["KOR"].feed.open_stream(recipient="JPN", level="군사II급비밀", by="duty")
    nodes["KOR"].delivery.drain()
    sent: list[bytes] = []
    transport = nodes["KOR"].delivery.transport
    assert transport is not None
    original = transport.send

    def capture(destination: str, payload: bytes) -> bytes:
        sent.append(payload)
        return original(destination, payload)

    transport.send = capture  # type: ignore[method-assign]
    nodes["KOR"].feed.publish(stream, [warning()])
    assert len(got) == 1
    nodes["JPN"].inbox(sent[0], peer="KOR")  # replay
    sender, (frame,) = unbundle(sent[0])
    tampered = bytearray(frame)
    tampered[-1] ^= 1
    nodes["JPN"].inbox(bundle(sender, [bytes(tampered)]), peer="KOR")
    assert len(got) == 1
    assert nodes["JPN"].feed.counts["dropped"] == 2


def test_through_the_hub_under_the_2023_mechanism(
    world: tuple[dict[str, Node], SimulatedClock, list[SharedWarning]],
) -> None:
    nodes, clock, got = world
    clock.set(datetime(2024, 1, 14, 5, 55, tzinfo=UTC))
    nodes["USA"].set_duty_officer("duty")
    stream = nodes["KOR"].feed.open_stream(
        recipient="JPN", level="군사II급비밀", by="duty", agreement_id="trilateral-warning-link"
    )
    assert stream.route == ("KOR", "USA", "JPN")
    nodes["KOR"].delivery.drain()
    nodes["USA"].delivery.drain()
    nodes["KOR"].feed.publish(stream, [warning()])
    assert len(got) == 1 and nodes["USA"].feed.counts["relayed"] == 1
    assert nodes["USA"].feed.counts["received"] == 0  # the hub cannot open what it relays


def test_under_tisa_the_hub_relays_nothing_before_the_originators_consent(
    world: tuple[dict[str, Node], SimulatedClock, list[SharedWarning]],
) -> None:
    nodes, _, got = world
    stream = nodes["KOR"].feed.open_stream(
        recipient="JPN", level="군사II급비밀", by="duty", agreement_id="tisa"
    )
    assert stream.route == ("KOR", "USA", "JPN")
    nodes["KOR"].delivery.drain()
    nodes["KOR"].feed.publish(stream, [warning()])
    assert got == [] and nodes["USA"].feed.counts["dropped"] == 1
    with pytest.raises(PolicyDenied) as refused:
        nodes["USA"].release.forward(item_id=stream.label.item_id, by="duty")
    assert "TI-3" in refused.value.rule_ids


def test_before_the_2023_mechanism_no_stream_opens_under_it(
    world: tuple[dict[str, Node], SimulatedClock, list[SharedWarning]],
) -> None:
    nodes, _, _ = world
    with pytest.raises(PolicyDenied) as refused:
        nodes["KOR"].feed.open_stream(
            recipient="JPN", level="군사II급비밀", by="duty", agreement_id="trilateral-warning-link"
        )
    assert "RT-4" in refused.value.rule_ids

"""One suite for every bus adapter: in-process and NATS JetStream."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from gsomia.adapters.bus.inproc import InProcessBus
from gsomia.ports.bus import Bus


@pytest.fixture(params=["inproc", "nats"])
def bus_and_prefix(request: pytest.FixtureRequest) -> Iterator[tuple[Bus, str]]:
    prefix = f"gsomia.t{uuid.uuid4().hex[:12]}"
    if request.param == "inproc":
        bus: Bus = InProcessBus()
        yield bus, prefix
        bus.close()
        return
    url = request.getfixturevalue("nats_url")
    from gsomia.adapters.bus.nats import NatsBus

    nats_bus = NatsBus(url, stream=prefix.replace(".", "_").upper(), subjects=(f"{prefix}.>",))
    try:
        yield nats_bus, prefix
    finally:
        nats_bus.delete_stream()
        nats_bus.close()


class Collector:
    def __init__(self, expect: int) -> None:
        self.got: list[bytes] = []
        self.expect = expect
        self.done = threading.Event()

    def __call__(self, payload: bytes) -> None:
        self.got.append(payload)
        if len(self.got) >= self.expect:
            self.done.set()

    def wait(self, timeout: float = 10.0) -> list[bytes]:
        assert self.done.wait(timeout), f"got {len(self.got)} of {self.expect}"
        return self.got


def test_messages_arrive_in_order_and_unchanged(bus_and_prefix: tuple[Bus, str]) -> None:
    bus, prefix = bus_and_prefix
    collector = Collector(200)
    bus.subscribe(f"{prefix}.picture", collector)
    time.sleep(0.2)
    sent = [bytes([i % 256]) * (i + 1) for i in range(200)]
    for payload in sent:
        bus.publish(f"{prefix}.picture", payload)
    assert collector.wait() == sent


def test_replay_delivers_what_the_bus_holds_before_new_messages(
    bus_and_prefix: tuple[Bus, str],
) -> None:
    bus, prefix = bus_and_prefix
    for i in range(5):
        bus.publish(f"{prefix}.warnings", f"old {i}".encode())
    replayed, fresh = Collector(6), Collector(1)
    bus.subscribe(f"{prefix}.warnings", replayed, replay=True)
    bus.subscribe(f"{prefix}.warnings", fresh, replay=False)
    time.sleep(0.3)
    bus.publish(f"{prefix}.warnings", b"new")
    assert replayed.wait() == [*(f"old {i}".encode() for i in range(5)), b"new"]
    assert fresh.wait() == [b"new"]


def test_subjects_are_kept_apart_and_a_failing_subscriber_does_not_stop_others(
    bus_and_prefix: tuple[Bus, str],
) -> None:
    bus, prefix = bus_and_prefix

    def broken(_payload: bytes) -> None:
        raise RuntimeError("subscriber bug")

    good = Collector(2)
    other = Collector(1)
    bus.subscribe(f"{prefix}.a", broken)
    bus.subscribe(f"{prefix}.a", good)
    bus.subscribe(f"{prefix}.b", other)
    time.sleep(0.2)
    bus.publish(f"{prefix}.a", b"1")
    bus.publish(f"{prefix}.b", b"only b")
    bus.publish(f"{prefix}.a", b"2")
    assert good.wait() == [b"1", b"2"]
    assert other.wait() == [b"only b"]


def test_a_cancelled_subscription_gets_nothing_more(bus_and_prefix: tuple[Bus, str]) -> None:
    bus, prefix = bus_and_prefix
    first, later = Collector(1), Collector(2)
    sub = bus.subscribe(f"{prefix}.c", first)
    bus.subscribe(f"{prefix}.c", later)
    time.sleep(0.2)
    bus.publish(f"{prefix}.c", b"x")
    first.wait()
    sub.cancel()
    time.sleep(0.2)
    bus.publish(f"{prefix}.c", b"y")
    later.wait()
    assert first.got == [b"x"]


@pytest.mark.services
def test_the_nats_stream_keeps_messages_only_for_the_retention(nats_url: str) -> None:
    """Crypto review M6: the JetStream stream has a retention limit, and an existing stream
    without one gets it."""
    from datetime import timedelta

    from gsomia.adapters.bus.nats import DEFAULT_RETENTION, NatsBus

    prefix = f"gsomia.t{uuid.uuid4().hex[:12]}"
    stream = prefix.replace(".", "_").upper()
    bus = NatsBus(nats_url, stream=stream, subjects=(f"{prefix}.>",))
    try:
        assert bus.retention() == DEFAULT_RETENTION
        again = NatsBus(
            nats_url, stream=stream, subjects=(f"{prefix}.>",), retention=timedelta(seconds=1)
        )
        try:
            again.publish(f"{prefix}.w", b"sealed warning")
            assert again.retention() == timedelta(seconds=1)
            time.sleep(1.5)
            late = Collector(1)
            again.subscribe(f"{prefix}.w", late, replay=True)
            time.sleep(0.5)
            assert late.got == []
        finally:
            again.close()
    finally:
        bus.delete_stream()
        bus.close()

"""Warnings fanned out on NATS JetStream (issue 14): de-duplication by frame id at the bus
and at the consumer, at-least-once delivery, and a durable consumer that reconnects
resumes where it stopped; every consumer gets every message."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from gsomia.adapters.bus.nats import NatsBus
from gsomia.services.fanout import Deduplicator


@pytest.fixture
def stream(nats_url: str) -> Iterator[tuple[str, str, str]]:
    prefix = f"gsomia.f{uuid.uuid4().hex[:12]}"
    name = prefix.replace(".", "_").upper()
    bus = NatsBus(nats_url, stream=name, subjects=(f"{prefix}.>",))
    yield nats_url, name, prefix
    bus.delete_stream()
    bus.close()


class Got:
    def __init__(self, fail_first: str = "") -> None:
        self.ids: list[str] = []
        self.fail_first = fail_first
        self.failed = 0
        self.dedup = Deduplicator()
        self.changed = threading.Condition()

    def __call__(self, message_id: str, payload: bytes) -> None:
        if message_id == self.fail_first and not self.failed:
            self.failed += 1
            raise RuntimeError("the consumer's first attempt fails")
        assert payload == message_id.encode()
        with self.changed:
            if self.dedup.first(message_id):
                self.ids.append(message_id)
            self.changed.notify_all()

    def wait(self, n: int, timeout: float = 15.0) -> list[str]:
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.ids) < n:
                left = deadline - time.monotonic()
                assert left > 0, f"got {len(self.ids)} of {n}"
                self.changed.wait(left)
        return list(self.ids)


def test_durable_consumers_get_each_frame_once_and_resume_where_they_stopped(
    stream: tuple[str, str, str],
) -> None:
    url, name, prefix = stream
    subject = f"{prefix}.warnings"
    publisher = NatsBus(url, stream=name, subjects=(f"{prefix}.>",))
    reader = NatsBus(url, stream=name, subjects=(f"{prefix}.>",))
    try:
        first = Got(fail_first="frame-2")
        sub = reader.consume(subject, first, durable="console-1", ack_wait=1.0)
        for i in range(5):
            publisher.publish(subject, f"frame-{i}".encode(), msg_id=f"frame-{i}")
        # The same frame published again (a second worker, a redelivered bundle).
        publisher.publish(subject, b"frame-3", msg_id="frame-3")
        assert sorted(first.wait(5)) == [f"frame-{i}" for i in range(5)]
        assert first.failed == 1  # frame-2 failed once and came again
        time.sleep(0.5)
        assert len(first.ids) == 5
        sub.cancel()
        reader.close()

        for i in range(5, 8):
            publisher.publish(subject, f"frame-{i}".encode(), msg_id=f"frame-{i}")
        # The consumer comes back (another connection, as after a restart): it resumes.
        again = NatsBus(url, stream=name, subjects=(f"{prefix}.>",))
        try:
            resumed = Got()
            again.consume(subject, resumed, durable="console-1")
            assert resumed.wait(3) == ["frame-5", "frame-6", "frame-7"]
            time.sleep(0.5)
            assert len(resumed.ids) == 3 and resumed.dedup.duplicates == 0
            # Another consumer of its own gets every frame the stream holds, once each.
            other = Got()
            again.consume(subject, other, durable="analyst-1", replay=True)
            assert sorted(other.wait(8)) == [f"frame-{i}" for i in range(8)]
        finally:
            again.close()
    finally:
        publisher.close()


def test_the_deduplicator_forgets_the_oldest_ids_past_its_memory() -> None:
    dedup = Deduplicator(memory=2)
    assert dedup.first("a") and dedup.first("b")
    assert not dedup.first("a")
    assert dedup.first("c")  # b is forgotten, a was seen again lately
    assert not dedup.first("a") and dedup.first("b")
    assert dedup.duplicates == 2

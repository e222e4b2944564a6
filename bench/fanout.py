"""Warnings fanned out on NATS JetStream: 1 publisher, 100 consumers.

The publisher publishes ``--frames`` warning-sized payloads (``--size`` bytes, a sealed
warning's size) at ``--rate`` per second on one subject, each under its frame id
(``Nats-Msg-Id``), into a stream of this run's own. Side by side, in one run on the same
server:

- anchor: 100 ephemeral ordered push consumers (what the node's ``subscribe`` uses: no
  acknowledgement, nothing kept for a consumer that goes away);
- gsomia: 100 durable consumers (``NatsBus.consume``): each acknowledges each frame, the
  server keeps its place, and a :class:`~gsomia.services.fanout.Deduplicator` hands each
  frame on once.

Each consumer has its own connection (as separate console sessions and bridges would).
Latency is from publish to the consumer's handler (the payload carries the publish time);
lost frames are those a consumer never got by the end (after a grace period);
duplicates handed on are counted (0: de-duplicated by frame id). Then 10 durable consumers
disconnect, 20 % more frames are published, and they reconnect: resumed frames are
counted, and lost among them.

Usage: ``python bench/fanout.py [--consumers 100] [--frames 500] [--rate 100]
[--nats URL] [--quick]``.
"""

from __future__ import annotations

import argparse
import struct
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _load_common import percentile
from gsomia.adapters.bus.nats import NatsBus
from gsomia.services.fanout import Deduplicator

_STAMP = struct.Struct(">dI")


class Reader:
    """One consumer: the latency of each frame it got, once each."""

    def __init__(self) -> None:
        self.latencies: dict[int, float] = {}
        self.handed_twice = 0
        self.dedup = Deduplicator()
        self.lock = threading.Lock()

    def durable(self, message_id: str, payload: bytes) -> None:
        if self.dedup.seen(message_id):
            return
        self._got(payload)
        self.dedup.remember(message_id)

    def ephemeral(self, payload: bytes) -> None:
        self._got(payload)

    def _got(self, payload: bytes) -> None:
        sent, n = _STAMP.unpack_from(payload)
        with self.lock:
            if n in self.latencies:
                self.handed_twice += 1
            self.latencies[n] = time.time() - sent


def publish(bus: NatsBus, subject: str, frames: range, rate: float, size: int) -> None:
    start = time.monotonic()
    pad = b"\0" * max(0, size - _STAMP.size)
    for i, n in enumerate(frames):
        pause = start + i / rate - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        bus.publish(subject, _STAMP.pack(time.time(), n) + pad, msg_id=f"frame-{n}")


def wait_for(readers: list[Reader], frames: set[int], grace: float) -> None:
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if all(frames <= set(r.latencies) for r in readers):
            return
        time.sleep(0.1)


def report(label: str, readers: list[Reader], frames: set[int]) -> float:
    latencies = [v * 1000 for r in readers for n, v in r.latencies.items() if n in frames]
    lost = sum(len(frames - set(r.latencies)) for r in readers)
    p99 = percentile(latencies, 0.99)
    print(f"[{label}] frames {len(frames)} x consumers {len(readers)}")
    print(f"[{label}] p50 {percentile(latencies, 0.5):.1f} ms")
    print(f"[{label}] p99 {p99:.1f} ms")
    print(f"[{label}] lost {lost}")
    print(f"[{label}] duplicated {sum(r.handed_twice for r in readers)}")
    sys.stdout.flush()
    return p99


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--consumers", type=int, default=100)
    p.add_argument("--frames", type=int, default=500)
    p.add_argument("--rate", type=float, default=100.0)
    p.add_argument("--size", type=int, default=400)
    p.add_argument("--nats", default="nats://127.0.0.1:4222")
    p.add_argument("--quick", action="store_true")
    args = p.parse_args()
    if args.quick:
        args.consumers, args.frames = 10, 100
    prefix = f"gsomia.bench{uuid.uuid4().hex[:8]}"
    stream = prefix.replace(".", "_").upper()
    subject = f"{prefix}.warnings"
    publisher = NatsBus(args.nats, stream=stream, subjects=(f"{prefix}.>",))
    buses: list[NatsBus] = []
    try:
        ephemeral = [Reader() for _ in range(args.consumers)]
        durable = [Reader() for _ in range(args.consumers)]
        subs = []
        for i, (e, d) in enumerate(zip(ephemeral, durable, strict=True)):
            bus = NatsBus(args.nats, stream=stream, subjects=(f"{prefix}.>",))
            buses.append(bus)
            bus.subscribe(subject, e.ephemeral)
            subs.append(bus.consume(subject, d.durable, durable=f"console-{i}"))
        first = range(args.frames)
        publish(publisher, subject, first, args.rate, args.size)
        wait_for(ephemeral + durable, set(first), grace=30)
        anchor = report("anchor: ephemeral ordered consumers", ephemeral, set(first))
        ours = report("gsomia: durable consumers, acknowledged, de-duplicated", durable, set(first))
        print(f"durable vs ephemeral p99 ratio {ours / anchor:.2f}x (lower is better for gsomia)")

        # 10 % of the durable consumers go away; frames go on; they come back and resume.
        away = max(1, args.consumers // 10)
        for sub in subs[:away]:
            sub.cancel()
        later = range(args.frames, args.frames + args.frames // 5)
        publish(publisher, subject, later, args.rate, args.size)
        for i in range(away):
            buses[i].consume(subject, durable[i].durable, durable=f"console-{i}")
        wait_for(durable, set(later), grace=30)
        back = durable[:away]
        missed = sum(len(set(later) - set(r.latencies)) for r in back)
        print(f"[resume] {away} consumers reconnected: frames published while away {len(later)}")
        print(f"[resume] lost {missed}")
        print(f"[resume] duplicated {sum(r.handed_twice for r in back)}")
        print("(one NATS server and all consumers on 2 cores shared with other work: noisy)")
    finally:
        for bus in buses:
            bus.close()
        publisher.delete_stream()
        publisher.close()


if __name__ == "__main__":
    main()

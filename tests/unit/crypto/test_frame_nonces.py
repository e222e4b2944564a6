"""Frames never repeat a nonce and are never replayed (crypto review M2, L1, L2).

A sender never goes back to an older epoch and its sequence numbers only grow, across clock
steps and restarts; a receiver bounds a frame's age by its own clock, keeps its replay state
across restarts, and answers every forged frame with the one opaque error.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gsomia import crypto
from gsomia.errors import ConflictError, IntegrityError, StorageError
from tests.support.crypto import World, make_label

MIDNIGHT = datetime(2026, 11, 29, tzinfo=UTC)
BEFORE = MIDNIGHT - timedelta(microseconds=500)
A, B, C = b"track A: lat 40.1 lon 129.3", b"track B: lat 40.2 lon 129.4", b"track C 41.7 130.9"


def nonce_of(frame: bytes) -> tuple[bytes, bytes, bytes]:
    """What picks the key and the nonce: key ids and stream/epoch/sequence fields."""
    return frame[3:19], frame[19:27], frame[27:35]


class Journal:
    """What a node records durably: the sender's reservations, the receiver's floors."""

    def __init__(self) -> None:
        self.counters: list[crypto.FrameCounter] = []
        self.floors: dict[tuple[object, ...], crypto.FrameFloor] = {}
        self.fail = False

    def reserve(self, counter: crypto.FrameCounter) -> None:
        if self.fail:
            raise StorageError("the store is down")
        self.counters.append(counter)

    def record(self, floor: crypto.FrameFloor) -> None:
        if self.fail:
            raise StorageError("the store is down")
        self.floors[floor.stream] = floor


def sender(world: World, journal: Journal | None = None, **kw: object) -> crypto.FrameSender:
    label = make_label(b"stream", item=70)
    return crypto.FrameSender(
        keyring=world.jpn,
        label=label,
        recipient="KOR",
        stream_id=70,
        reserve=journal.reserve if journal else None,
        **kw,  # type: ignore[arg-type]
    )


def receiver(world: World, journal: Journal | None = None, **kw: object) -> crypto.FrameReceiver:
    rx = crypto.FrameReceiver(
        keyring=world.kor,
        record=journal.record if journal else None,
        floors=list(journal.floors.values()) if journal else (),
        **kw,  # type: ignore[arg-type]
    )
    rx.accept_label(make_label(b"stream", item=70))
    return rx


@pytest.mark.parametrize(
    "back", [timedelta(microseconds=500), timedelta(seconds=3), timedelta(days=1, seconds=1)]
)
def test_a_clock_stepping_back_across_midnight_reuses_no_nonce(
    world: World, back: timedelta
) -> None:
    """Crypto review M2 (d7 a): frames before midnight, after it, then before it again."""
    tx = sender(world)
    after = MIDNIGHT + timedelta(milliseconds=1)
    f1 = tx.seal_at(A, now=after - back)
    f2 = tx.seal_at(B, now=after)
    f3 = tx.seal_at(C, now=after - back)
    nonces = [nonce_of(f) for f in (f1, f2, f3)]
    assert len(set(nonces)) == 3
    epochs = [int.from_bytes(f[23:27], "big") for f in (f1, f2, f3)]
    assert epochs[2] == epochs[1] == crypto.epoch_of(after)
    sequences = [int.from_bytes(f[27:35], "big") for f in (f2, f3)]
    assert sequences[1] == sequences[0] + 1
    rx = receiver(world, max_age=timedelta(days=3))
    for frame, payload in ((f1, A), (f2, B), (f3, C)):
        assert rx.open(frame, now=after).payload == payload


def test_a_clock_stepping_back_within_an_epoch_keeps_counting(world: World) -> None:
    tx = sender(world)
    frames = [tx.seal_at(A, now=BEFORE - timedelta(seconds=s)) for s in (0, 5, 10, 1)]
    sequences = [int.from_bytes(f[27:35], "big") for f in frames]
    assert sequences == sorted(sequences) and len(set(sequences)) == 4


@pytest.mark.parametrize("step_back", [timedelta(0), timedelta(seconds=30), timedelta(days=1)])
def test_a_restarted_sender_never_reuses_a_sequence_number(
    world: World, step_back: timedelta
) -> None:
    """The counter survives a restart even when the clock stepped back meanwhile (what the
    review's reasoning and frame-v1's old caveat left open)."""
    journal = Journal()
    tx = sender(world, journal)
    used = {nonce_of(tx.seal_at(A, now=BEFORE)) for _ in range(5)}
    resumed = sender(world, journal, counter=journal.counters[-1])
    for _ in range(5):
        frame = resumed.seal_at(B, now=BEFORE - step_back)
        assert nonce_of(frame) not in used
        used.add(nonce_of(frame))
    assert len(journal.counters) == 2
    assert journal.counters[-1].reserved >= max(int.from_bytes(n[2], "big") for n in used)


def test_nothing_is_sealed_when_the_reservation_cannot_be_recorded(world: World) -> None:
    journal = Journal()
    tx = sender(world, journal)
    tx.seal_at(A, now=BEFORE)
    journal.fail = True
    with pytest.raises(StorageError):
        tx.seal_at(B, now=BEFORE + timedelta(minutes=1))
    journal.fail = False
    frame = tx.seal_at(C, now=BEFORE + timedelta(minutes=1))
    assert receiver(world).open(frame, now=BEFORE + timedelta(minutes=1)).payload == C


@pytest.mark.parametrize("age", [timedelta(days=200), timedelta(hours=1), timedelta(minutes=3)])
def test_an_old_frame_is_refused_by_the_receivers_clock(world: World, age: timedelta) -> None:
    """Crypto review L1 (d7 c): a frame a relay held back is refused, even by a receiver
    that has not seen the stream before."""
    frame = sender(world).seal_at(A, now=BEFORE - age)
    with pytest.raises(ConflictError, match="older"):
        receiver(world).open(frame, now=BEFORE)
    assert receiver(world).open(frame, now=BEFORE - age + timedelta(seconds=1)).payload == A


def test_a_frame_far_ahead_of_the_receivers_clock_is_refused(world: World) -> None:
    frame = sender(world).seal_at(A, now=BEFORE + timedelta(minutes=10))
    with pytest.raises(ConflictError, match="ahead"):
        receiver(world).open(frame, now=BEFORE)


def test_a_restarted_receiver_refuses_replays_and_follows_the_live_stream(
    world: World,
) -> None:
    """Crypto review L1 (d7 d): replay state survives a receiver restart."""
    journal = Journal()
    tx = sender(world)
    rx = receiver(world, journal)
    frames = [tx.seal_at(bytes([i]), now=BEFORE) for i in range(3)]
    for frame in frames:
        rx.open(frame, now=BEFORE)
    restarted = receiver(world, journal)
    for frame in frames:
        with pytest.raises(ConflictError):
            restarted.open(frame, now=BEFORE)
    # The live stream goes on once past the recorded floor (about a second of numbers).
    later = BEFORE + timedelta(seconds=2)
    assert restarted.open(tx.seal_at(b"on", now=later), now=later).payload == b"on"


def test_a_receiver_that_cannot_record_its_floor_returns_nothing(world: World) -> None:
    journal = Journal()
    tx = sender(world)
    rx = receiver(world, journal)
    journal.fail = True
    frame = tx.seal_at(A, now=BEFORE)
    with pytest.raises(StorageError):
        rx.open(frame, now=BEFORE)
    journal.fail = False
    assert rx.open(frame, now=BEFORE).payload == A


@pytest.mark.parametrize("sequence", [1000, 5, 2000, 2**40])
def test_a_forged_frame_learns_nothing_from_the_replay_window(world: World, sequence: int) -> None:
    """Crypto review L2 (d7 b): the window is consulted only after the tag verified, so a
    forged frame gets the opaque error whether its number is in the window or not."""
    tx = sender(world)
    rx = receiver(world, max_age=timedelta(days=30), max_ahead=timedelta(days=30))
    good = tx.seal_at(b"x", now=BEFORE, sequence=1000)
    rx.open(good, now=BEFORE)
    forged = bytearray(good)
    forged[27:35] = sequence.to_bytes(8, "big")
    forged[-1] ^= 1
    with pytest.raises(IntegrityError):
        rx.open(bytes(forged), now=BEFORE)
    with pytest.raises(ConflictError):
        rx.open(good, now=BEFORE)


def test_frame_keys_cannot_evict_wrap_or_at_rest_keys(world: World) -> None:
    """Crypto review L2 (d15): fresh stream ids fill a cache of their own."""
    rx = receiver(world)
    good = sender(world).seal_at(b"x", now=BEFORE)
    world.kor._at_rest(world.kor.newest(crypto.KeyKind.AT_REST).key_id)
    cached = dict(world.kor._state.aeads)
    for stream in (s for s in range(2, 4200) if s != 70):
        forged = bytearray(good)
        forged[19:23] = stream.to_bytes(4, "big")
        with pytest.raises(IntegrityError):
            rx.open(bytes(forged), now=BEFORE)
    assert dict(world.kor._state.aeads) == cached

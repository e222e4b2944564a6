"""Compact frames: size, label binding, replay refusal, epochs, who may send and receive."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gsomia import crypto
from gsomia.errors import ConflictError, InputError, IntegrityError
from tests.support.crypto import NOW, World, make_label

TRACK = b"\x01" * 48


@pytest.fixture
def stream(world: World) -> tuple[crypto.FrameSender, crypto.FrameReceiver]:
    label = make_label(b"track stream 7", item=7)
    sender = crypto.FrameSender(keyring=world.jpn, label=label, recipient="KOR", stream_id=7)
    receiver = crypto.FrameReceiver(keyring=world.kor)
    receiver.accept_label(label)
    return sender, receiver


def test_a_frame_adds_at_most_64_bytes_beyond_the_label_reference(
    stream: tuple[crypto.FrameSender, crypto.FrameReceiver],
) -> None:
    sender, receiver = stream
    frame = sender.seal(TRACK, now=NOW)
    assert crypto.FRAME_OVERHEAD == len(frame) - len(TRACK) - 32 <= 64
    opened = receiver.open(frame, now=NOW)
    assert (opened.payload, opened.sender, opened.stream_id) == (TRACK, "JPN", 7)
    assert opened.epoch == crypto.epoch_of(NOW)
    assert opened.label.item_id == f"{7:032x}"


def test_a_replayed_frame_is_refused(
    stream: tuple[crypto.FrameSender, crypto.FrameReceiver],
) -> None:
    sender, receiver = stream
    frame = sender.seal(TRACK, now=NOW)
    receiver.open(frame, now=NOW)
    with pytest.raises(ConflictError):
        receiver.open(frame, now=NOW)


def test_frames_may_arrive_out_of_order_within_the_window(
    stream: tuple[crypto.FrameSender, crypto.FrameReceiver],
) -> None:
    sender, receiver = stream
    frames = [sender.seal(bytes([i]), now=NOW) for i in range(5)]
    for index in (4, 0, 3, 1, 2):
        assert receiver.open(frames[index], now=NOW).payload == bytes([index])
    sequences = [receiver_frame[27:35] for receiver_frame in frames]
    assert sequences == sorted(sequences)


def test_a_frame_older_than_the_window_is_refused(world: World) -> None:
    label = make_label(b"stream", item=8)
    sender = crypto.FrameSender(keyring=world.jpn, label=label, recipient="KOR", stream_id=8)
    receiver = crypto.FrameReceiver(keyring=world.kor, window_size=4, max_age=timedelta(days=1))
    receiver.accept_label(label)
    frames = [sender.seal_at(b"x", now=NOW, sequence=i) for i in range(1, 8)]
    receiver.open(frames[-1], now=NOW)
    with pytest.raises(ConflictError):
        receiver.open(frames[0], now=NOW)
    assert receiver.open(frames[-2], now=NOW).sequence == 6


def test_a_forged_frame_moves_no_window(
    stream: tuple[crypto.FrameSender, crypto.FrameReceiver],
) -> None:
    sender, receiver = stream
    frame = sender.seal(TRACK, now=NOW)
    forged = bytearray(frame)
    forged[-1] ^= 1
    with pytest.raises(IntegrityError):
        receiver.open(bytes(forged), now=NOW)
    assert receiver.open(frame, now=NOW).payload == TRACK


def test_a_frame_cannot_be_moved_to_another_label(world: World) -> None:
    first, second = make_label(b"a", item=1), make_label(b"b", item=2)
    sender = crypto.FrameSender(keyring=world.jpn, label=first, recipient="KOR", stream_id=1)
    receiver = crypto.FrameReceiver(keyring=world.kor)
    receiver.accept_label(first)
    receiver.accept_label(second)
    frame = sender.seal(TRACK, now=NOW)
    moved = frame[:35] + second.digest_bytes() + frame[67:]
    with pytest.raises(IntegrityError):
        receiver.open(moved, now=NOW)
    assert receiver.open(frame, now=NOW).label == first


def test_frames_under_an_unknown_label_or_to_another_party_are_refused(world: World) -> None:
    label = make_label(b"stream", agreement="tisa", releasable=("KOR", "USA"))
    sender = crypto.FrameSender(keyring=world.jpn, label=label, recipient="KOR", stream_id=3)
    frame = sender.seal(TRACK, now=NOW)
    stranger = crypto.FrameReceiver(keyring=world.kor)
    with pytest.raises(IntegrityError):
        stranger.open(frame, now=NOW)
    hub = crypto.FrameReceiver(keyring=world.usa)
    hub.accept_label(label)
    with pytest.raises(IntegrityError):
        hub.open(frame, now=NOW)


def test_a_new_epoch_uses_a_new_key_and_stale_epochs_are_refused(
    stream: tuple[crypto.FrameSender, crypto.FrameReceiver],
) -> None:
    sender, _ = stream
    receiver = crypto.FrameReceiver(
        keyring=stream[1]._keyring, max_age=timedelta(days=30), max_ahead=timedelta(days=30)
    )
    receiver.accept_label(sender._label)
    today = sender.seal(b"today", now=NOW)
    tomorrow = sender.seal(b"tomorrow", now=NOW + timedelta(days=1))
    later = sender.seal(b"later", now=NOW + timedelta(days=2))
    assert receiver.open(tomorrow, now=NOW).epoch == crypto.epoch_of(NOW) + 1
    assert receiver.open(today, now=NOW).payload == b"today"
    receiver.open(later, now=NOW)
    far_ahead = sender.seal_at(b"far", now=NOW + timedelta(days=2), sequence=2**40)
    assert receiver.open(far_ahead, now=NOW).sequence == 2**40
    with pytest.raises(ConflictError, match="stale"):
        receiver.open(today, now=NOW)


def test_a_restarted_sender_continues_above_its_old_sequence_numbers(world: World) -> None:
    label = make_label(b"stream", item=9)
    first = crypto.FrameSender(keyring=world.jpn, label=label, recipient="KOR", stream_id=9)
    receiver = crypto.FrameReceiver(keyring=world.kor)
    receiver.accept_label(label)
    before = [receiver.open(first.seal(b"a", now=NOW), now=NOW).sequence for _ in range(3)]
    restarted = crypto.FrameSender(keyring=world.jpn, label=label, recipient="KOR", stream_id=9)
    later = NOW + timedelta(milliseconds=1)
    after = receiver.open(restarted.seal(b"b", now=later), now=later).sequence
    assert after > max(before)


def test_explicit_sequences_must_increase(
    stream: tuple[crypto.FrameSender, crypto.FrameReceiver],
) -> None:
    sender, _ = stream
    sender.seal_at(b"x", now=NOW, sequence=10)
    with pytest.raises(ConflictError):
        sender.seal_at(b"x", now=NOW, sequence=10)


def test_a_sender_must_have_made_the_label_and_the_recipient_must_be_allowed(
    world: World,
) -> None:
    label = make_label(b"stream")
    with pytest.raises(InputError):
        crypto.FrameSender(keyring=world.kor, label=label, recipient="JPN", stream_id=1)
    with pytest.raises(InputError):
        crypto.FrameSender(keyring=world.jpn, label=label, recipient="USA", stream_id=1)
    with pytest.raises(InputError):
        crypto.FrameSender(keyring=world.jpn, label=label, recipient="KOR", stream_id=-1)
    with pytest.raises(InputError):
        crypto.FrameReceiver(keyring=world.usa).accept_label(label)


def test_the_replay_window_against_a_set() -> None:
    window = crypto.ReplayWindow(size=8)
    seen: set[int] = set()
    for sequence in [5, 3, 9, 9, 1, 2, 20, 13, 12, 11, 30, 22, 23]:
        expected_ok = sequence not in seen and sequence > max(seen, default=-1) - 8
        if expected_ok:
            window.accept(sequence)
            seen.add(sequence)
        else:
            with pytest.raises(ConflictError):
                window.accept(sequence)
    with pytest.raises(InputError):
        crypto.ReplayWindow(size=0)

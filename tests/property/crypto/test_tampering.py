"""Flipping any byte of a protected thing is refused: envelopes (label, ciphertext, wrapped
keys), bindings (signature, audit path), frames, item-key records and keyring files.

Every position is tried with one bit flipped, and hypothesis tries random positions with
random masks. A flip inside one holder's wrapped key must stop that holder; a flip anywhere
else in the envelope must stop every holder.
"""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gsomia import crypto
from gsomia.core.labels import Label
from gsomia.errors import IntegrityError
from tests.support.crypto import NOW, make_label, make_world

WORLD = make_world()
CONTENT = b"boost phase ended; apogee 1,100 km; impact east of Hokkaido"
HOLDERS = ("JPN", "KOR")
EXAMPLES = settings(max_examples=300, deadline=None)


def _batch() -> tuple[crypto.Envelope, crypto.Binding]:
    contents = [CONTENT + bytes([i]) for i in range(6)]
    labels = [make_label(c, item=i) for i, c in enumerate(contents)]
    envelopes = crypto.seal_batch(
        keyring=WORLD.jpn,
        items=list(zip(labels, contents, strict=True)),
        holders=HOLDERS,
    )
    bindings = crypto.bind(keyring=WORLD.jpn, envelopes=envelopes)
    return envelopes[3], bindings[3]


ENVELOPE, BINDING = _batch()
PLAINTEXT = CONTENT + b"\x03"
WIRE = ENVELOPE.to_bytes()
BINDING_WIRE = BINDING.to_bytes()
_LABEL_END = 8 + struct.unpack_from(">I", WIRE, 4)[0]
#: envelope-v2: the label, the 32-byte key commitment, the nonce (12) and the wrap count.
_WRAPS_START = _LABEL_END + 32 + 13
_WRAP_SIZE = 154
#: Byte ranges of each holder's wrapped key in WIRE.
WRAP_RANGES = {
    w.holder: range(_WRAPS_START + _WRAP_SIZE * i, _WRAPS_START + _WRAP_SIZE * (i + 1))
    for i, w in enumerate(ENVELOPE.wrapped_keys)
}


def flip(data: bytes, position: int, mask: int = 0x01) -> bytes:
    changed = bytearray(data)
    changed[position] ^= mask
    return bytes(changed)


def holders_stopped_by(position: int) -> list[str]:
    """The holders a flip at ``position`` must stop."""
    for holder, span in WRAP_RANGES.items():
        if position in span:
            return [holder]
    return list(HOLDERS)


def assert_envelope_flip_refused(position: int, mask: int) -> None:
    tampered = flip(WIRE, position, mask)
    for holder in holders_stopped_by(position):
        with pytest.raises(IntegrityError):
            envelope = crypto.Envelope.from_bytes(tampered)
            crypto.open(keyring=WORLD.of(holder), envelope=envelope, binding=BINDING)


def assert_binding_flip_refused(position: int, mask: int) -> None:
    tampered = flip(BINDING_WIRE, position, mask)
    with pytest.raises(IntegrityError):
        crypto.verify(
            keyring=WORLD.kor, envelope=ENVELOPE, binding=crypto.Binding.from_bytes(tampered)
        )


def test_the_untampered_item_opens_for_every_holder() -> None:
    assert BINDING.proof, "the binding under test must carry an audit path"
    for holder in HOLDERS:
        assert (
            crypto.open(keyring=WORLD.of(holder), envelope=ENVELOPE, binding=BINDING) == PLAINTEXT
        )


@pytest.mark.slow
def test_every_envelope_byte_is_protected() -> None:
    for position in range(len(WIRE)):
        assert_envelope_flip_refused(position, 0x01)


def test_every_binding_byte_is_protected() -> None:
    for position in range(len(BINDING_WIRE)):
        assert_binding_flip_refused(position, 0x80)


@given(position=st.integers(0, len(WIRE) - 1), mask=st.integers(1, 255))
@EXAMPLES
def test_flipping_an_envelope_byte_is_refused(position: int, mask: int) -> None:
    assert_envelope_flip_refused(position, mask)


@given(position=st.integers(0, len(BINDING_WIRE) - 1), mask=st.integers(1, 255))
@EXAMPLES
def test_flipping_a_binding_byte_is_refused(position: int, mask: int) -> None:
    assert_binding_flip_refused(position, mask)


@given(data=st.data())
@EXAMPLES
def test_flipping_a_label_ciphertext_or_wrapped_key_byte_is_refused(data: st.DataObject) -> None:
    region = data.draw(st.sampled_from(["label", "ciphertext", "wrapped key"]))
    span = {
        "label": range(8, _LABEL_END),
        "ciphertext": range(len(WIRE) - len(ENVELOPE.ciphertext), len(WIRE)),
        "wrapped key": WRAP_RANGES["KOR"],
    }[region]
    position = data.draw(st.sampled_from(span))
    assert_envelope_flip_refused(position, data.draw(st.integers(1, 255)))


def test_flipping_a_signature_or_audit_path_byte_is_refused() -> None:
    proof_start = len(BINDING_WIRE) - 64 - len(BINDING.proof)
    for position in range(proof_start, len(BINDING_WIRE)):
        for mask in (0x01, 0x10, 0xFF):
            assert_binding_flip_refused(position, mask)


def _frame_pair() -> tuple[Label, bytes]:
    label = make_label(b"track stream", item=77)
    sender = crypto.FrameSender(keyring=WORLD.jpn, label=label, recipient="KOR", stream_id=5)
    return label, sender.seal(b"\x00\x01track-state-vector\x02" * 2, now=NOW)


FRAME_LABEL, FRAME = _frame_pair()


@given(position=st.integers(0, len(FRAME) - 1), mask=st.integers(1, 255))
@EXAMPLES
def test_flipping_a_frame_byte_is_refused(position: int, mask: int) -> None:
    receiver = crypto.FrameReceiver(keyring=WORLD.kor)
    receiver.accept_label(FRAME_LABEL)
    with pytest.raises(IntegrityError):
        receiver.open(flip(FRAME, position, mask), now=NOW)
    assert receiver.open(FRAME, now=NOW).sequence > 0


def test_every_item_key_byte_is_protected() -> None:
    stored, item_key = crypto.keep(keyring=WORLD.kor, envelope=ENVELOPE, binding=BINDING)
    record = item_key.to_bytes()
    assert crypto.open_stored(keyring=WORLD.kor, envelope=stored, item_key=item_key) == PLAINTEXT
    for position in range(len(record)):
        with pytest.raises(IntegrityError):
            tampered = crypto.ItemKey.from_bytes(
                item_id=item_key.item_id, data=flip(record, position)
            )
            crypto.open_stored(keyring=WORLD.kor, envelope=stored, item_key=tampered)


def test_every_keyring_file_byte_is_protected() -> None:
    master = crypto.MasterSecret.from_text("Zq8-wX3rT6yU1iO9pA2sD5fG7hJ0kLmN4bVXyZabcdA")
    data = crypto.dump_keyring(WORLD.kor, master=master)
    for position in range(0, len(data), 3):
        with pytest.raises(IntegrityError):
            crypto.load_keyring(flip(data, position), master=master)

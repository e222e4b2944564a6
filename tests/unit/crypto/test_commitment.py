"""Key commitment (crypto review H1 and the claim C3 it must keep).

AES-GCM is not key-committing: a sealer can make one ciphertext whose tag verifies under two
data keys and wrap a different one for each holder. envelope-v2 stops it with a commitment
to the data key that the binding signs; unlike label-v1's content digest, nothing it
publishes is a hash of the plaintext.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gsomia import crypto
from gsomia.crypto._envelope import WRAP_AAD, SealedKey, commitment_of
from gsomia.errors import IntegrityError
from tests.support.crypto import World, make_label, sealed

_R = 0xE1 << 120


def _mul(x: int, y: int) -> int:
    """Multiplication in GF(2^128) with GCM's bit order (NIST SP 800-38D §6.3)."""
    z, v = 0, y
    for i in range(127, -1, -1):
        if (x >> i) & 1:
            z ^= v
        v = (v >> 1) ^ _R if v & 1 else v >> 1
    return z


def _pow(x: int, e: int) -> int:
    result = 1 << 127
    while e:
        if e & 1:
            result = _mul(result, x)
        x, e = _mul(x, x), e >> 1
    return result


def _block(key: bytes, data: bytes) -> int:
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return int.from_bytes(encryptor.update(data) + encryptor.finalize(), "big")


def _blocks(data: bytes) -> list[int]:
    data += bytes(-len(data) % 16)
    return [int.from_bytes(data[i : i + 16], "big") for i in range(0, len(data), 16)]


def two_key_ciphertext(k1: bytes, k2: bytes, nonce: bytes, aad: bytes, size: int) -> bytes:
    """One AES-GCM ciphertext (with tag) of ``size`` blocks that verifies under both keys:
    the first ciphertext block is solved for so that the two GHASH values agree."""
    hashes = [_block(k, bytes(16)) for k in (k1, k2)]
    masks = [_block(k, nonce + b"\x00\x00\x00\x01") for k in (k1, k2)]
    head = _blocks(aad)
    length = (len(aad) * 8 << 64) | (size * 128)
    body = [int.from_bytes(bytes([n + 1]) * 16, "big") for n in range(size)]
    terms = [*head, *body, length]
    count, free = len(terms), len(head)

    def coefficient(i: int) -> int:
        return _pow(hashes[0], count - i) ^ _pow(hashes[1], count - i)

    target = masks[0] ^ masks[1]
    for i, term in enumerate(terms):
        if i != free:
            target ^= _mul(term, coefficient(i))
    body[0] = _mul(target, _pow(coefficient(free), 2**128 - 2))
    tag = masks[0]
    for i, term in enumerate([*head, *body, length]):
        tag ^= _mul(term, _pow(hashes[0], count - i))
    return b"".join(b.to_bytes(16, "big") for b in body) + tag.to_bytes(16, "big")


def test_the_collision_is_real_without_a_commitment() -> None:
    k1, k2, nonce = bytes(range(32)), bytes(range(1, 33)), bytes(12)
    aad = make_label(b"").canonical_bytes()
    ciphertext = two_key_ciphertext(k1, k2, nonce, aad, 3)
    one, two = (AESGCM(k).decrypt(nonce, ciphertext, aad) for k in (k1, k2))
    assert one != two


@pytest.mark.parametrize("victim", ["KOR", "JPN"])
def test_a_ciphertext_that_opens_under_two_keys_is_refused_to_the_other_holder(
    world: World, victim: str
) -> None:
    """A malicious sealer (JPN) signs the commitment to k1 and wraps k2 for one holder."""
    label = make_label(b"", releasable=("KOR",))
    k1, k2, nonce = bytes(range(32)), bytes(range(7, 39)), bytes(range(12))
    ciphertext = two_key_ciphertext(k1, k2, nonce, label.canonical_bytes(), 3)
    wraps = []
    for holder in ("JPN", "KOR"):
        aead, header, sealed_key = world.jpn._sealing(label.agreement_id, holder)
        key = k2 if holder == victim else k1
        wrap_nonce = bytes([len(wraps)]) * 12
        wrapped = aead.encrypt(wrap_nonce, key, WRAP_AAD + label.digest_bytes() + header)
        wraps.append(SealedKey(holder, "JPN", header[6:], sealed_key, wrap_nonce, wrapped))
    envelope = crypto.Envelope(
        label=label,
        nonce=nonce,
        ciphertext=ciphertext,
        wrapped_keys=tuple(wraps),
        commitment=commitment_of(k1),
    )
    (binding,) = crypto.bind(keyring=world.jpn, envelopes=[envelope])
    honest = "JPN" if victim == "KOR" else "KOR"
    expected = AESGCM(k1).decrypt(nonce, ciphertext, label.canonical_bytes())
    assert crypto.open(keyring=world.of(honest), envelope=envelope, binding=binding) == expected
    with pytest.raises(IntegrityError):
        crypto.open(keyring=world.of(victim), envelope=envelope, binding=binding)
    # Committing to k2 instead does not help: the binding signed the commitment to k1.
    swapped = dataclasses.replace(envelope, commitment=commitment_of(k2))
    with pytest.raises(IntegrityError):
        crypto.open(keyring=world.of(victim), envelope=swapped, binding=binding)


def test_nothing_in_an_envelope_or_binding_is_a_hash_of_the_content(world: World) -> None:
    """Crypto review H1: a relay that cannot open an item cannot test guesses of its
    content either; equal contents do not look equal."""
    secret = b"LAUNCH site=Sinpo type=SLBM count=2 t=2026-11-28T03:14Z"
    one, binding = sealed(world, secret, item=1, holders=("KOR",))
    two, _ = sealed(world, secret, item=2, holders=("KOR",))
    wire = one.to_bytes() + binding.to_bytes()
    digests = [hashlib.sha256(secret).digest(), hashlib.sha256(secret).hexdigest().encode()]
    assert not any(d in wire for d in digests)
    assert one.commitment != two.commitment and one.ciphertext != two.ciphertext
    # A guesser who sees the label and the commitment and tries every templated report
    # finds no match: the commitment depends on a random key, not on the content.
    sites = ["Sohae", "Sinpo", "Tongchang-ri"]
    for site, hour, minute in itertools.product(sites, range(24), range(0, 60, 7)):
        guess = f"LAUNCH site={site} type=SLBM count=2 t=2026-11-28T{hour:02d}:{minute:02d}Z"
        candidate = hashlib.sha256(guess.encode()).digest()
        assert candidate not in wire
        assert commitment_of(candidate) != one.commitment
    with pytest.raises(IntegrityError):
        crypto.open(keyring=world.usa, envelope=one, binding=binding)

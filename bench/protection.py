"""Protection throughput: gsomia seal + bind and verify + open against a naive envelope.

One run, the same 1 KiB items for both sides, alternating repetitions so both see the same
machine noise; the median of the repetitions is printed with the ratio.

* gsomia send: ``seal`` (fresh data key and its commitment, AES-256-GCM with the label as
  associated data, the data key wrapped for two holders under a wrap key per holder and
  batch sent by HPKE), ``bind`` in batches of 1,000 (one Ed25519 signature per batch, an
  inclusion proof per item), and encoding of both to wire bytes.
* gsomia receive: decode the wire bytes (label included), check each binding (inclusion
  proof and batch signature), open the batch's wrap key (one HPKE per batch), unwrap, check
  the key commitment and decrypt.
* naive envelope (``shared/anchors/crypto_limit.py``): per item a fresh key, AES-GCM, two
  AES key wraps and one Ed25519 signature; its receive side verifies that signature, unwraps
  one key and decrypts.

Rates are per CPU-second of this process by default (the machines are shared), per
wall-clock second with ``--wall``.

Usage: ``python bench/protection.py [--quick] [--wall] [--items N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap

from gsomia import crypto
from gsomia.core.labels import Label

AGREEMENT = "jpn-kor-gsomia"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ITEM_SIZE = 1024
BATCH = 1000
R = TypeVar("R")
HOLDERS = ("JPN", "KOR")


@dataclass(frozen=True, slots=True, kw_only=True)
class Setup:
    """Keyrings of the two parties and the items to protect."""

    sender: crypto.Keyring
    receiver: crypto.Keyring
    items: list[bytes]
    labels: list[Label]


def make_setup(count: int) -> Setup:
    """Two registered keyrings and ``count`` labelled 1 KiB items."""
    jpn = crypto.generate_keyring(party="JPN", now=NOW)
    kor = crypto.generate_keyring(party="KOR", now=NOW)
    jpn = jpn.register(agreement_id=AGREEMENT, keys=kor.public_keys())
    kor = kor.register(agreement_id=AGREEMENT, keys=jpn.public_keys())
    items = [os.urandom(ITEM_SIZE) for _ in range(count)]
    labels = [
        Label(
            item_id=f"{i:032x}",
            agreement_id=AGREEMENT,
            agreement_version="2016",
            originator="JPN",
            level="JPN:GOKUHI",
            equivalents=(("KOR", "KOR:GUNSA_II"),),
            releasable_to=("KOR",),
            topic="nk-missile",
            purpose="Launch detection and track data for early warning",
            created_at=NOW,
            review_on=date(2027, 11, 28),
        )
        for i in range(count)
    ]
    return Setup(sender=jpn, receiver=kor, items=items, labels=labels)


def gsomia_send(setup: Setup, batch: int = BATCH) -> list[tuple[bytes, bytes]]:
    """Seal and bind in batches, and encode every item; returns the wire pairs."""
    wire: list[tuple[bytes, bytes]] = []
    keyring = setup.sender
    pairs = list(zip(setup.labels, setup.items, strict=True))
    for start in range(0, len(pairs), batch):
        envelopes = crypto.seal_batch(
            keyring=keyring, items=pairs[start : start + batch], holders=HOLDERS
        )
        bindings = crypto.bind(keyring=keyring, envelopes=envelopes)
        wire.extend((e.to_bytes(), b.to_bytes()) for e, b in zip(envelopes, bindings, strict=True))
    return wire


def gsomia_receive(setup: Setup, wire: Sequence[tuple[bytes, bytes]]) -> list[bytes]:
    """Decode every item, check its binding, unwrap and decrypt it as the receiving party."""
    items = [
        (crypto.Envelope.from_bytes(envelope), crypto.Binding.from_bytes(binding))
        for envelope, binding in wire
    ]
    return crypto.open_batch(keyring=setup.receiver, items=items)


@dataclass(frozen=True, slots=True, kw_only=True)
class Naive:
    """The naive envelope's keys: one signing key and two key-encryption keys."""

    signer: Ed25519PrivateKey
    kek1: bytes
    kek2: bytes

    @classmethod
    def generate(cls) -> Naive:
        """Fresh keys."""
        return cls(signer=Ed25519PrivateKey.generate(), kek1=os.urandom(32), kek2=os.urandom(32))


def naive_send(naive: Naive, items: Sequence[bytes]) -> list[tuple[bytes, bytes, bytes, bytes]]:
    """Per item: fresh key, AES-GCM, two AES key wraps, one Ed25519 signature (the anchor)."""
    nonce = b"\x00" * 12
    out = []
    for item in items:
        dek = os.urandom(32)
        ciphertext = AESGCM(dek).encrypt(nonce, item, None)
        wrap1 = aes_key_wrap(naive.kek1, dek)
        wrap2 = aes_key_wrap(naive.kek2, dek)
        signature = naive.signer.sign(hashlib.sha256(ciphertext).digest())
        out.append((ciphertext, wrap1, wrap2, signature))
    return out


def naive_receive(naive: Naive, sent: Sequence[tuple[bytes, bytes, bytes, bytes]]) -> list[bytes]:
    """Per item: verify the signature, unwrap one key, decrypt."""
    nonce = b"\x00" * 12
    public = naive.signer.public_key()
    out = []
    for ciphertext, _, wrap2, signature in sent:
        public.verify(signature, hashlib.sha256(ciphertext).digest())
        dek = aes_key_unwrap(naive.kek2, wrap2)
        out.append(AESGCM(dek).decrypt(nonce, ciphertext, None))
    return out


CLOCK = time.process_time


def timed(run: Callable[..., R], *args: Any) -> tuple[float, R]:
    """Seconds one call takes on :data:`CLOCK`, and what it returned.

    By default the CPU time of this process, not wall time: the machines are shared, and
    time spent descheduled would be charged to whichever side happened to be running
    (``--wall`` measures wall time instead). The garbage collector is paused while the call
    runs, as :mod:`timeit` does, for both sides alike.
    """
    gc.collect()
    gc.disable()
    try:
        start = CLOCK()
        result = run(*args)
        return CLOCK() - start, result
    finally:
        gc.enable()


def line(name: str, unit: str, ours: float, anchor: float, repeat: int) -> str:
    """One figure: gsomia, the anchor and their ratio."""
    return (
        f"{name:<12} gsomia {ours:,.0f} {unit}  naive-envelope {anchor:,.0f} {unit}  "
        f"ratio {ours / anchor:.2f}x  (median of {repeat})"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run on few items")
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--wall", action="store_true", help="wall time instead of CPU time")
    args = parser.parse_args(argv)
    global CLOCK  # noqa: PLW0603 (a script-wide setting chosen once, before timing)
    CLOCK = time.perf_counter if args.wall else time.process_time
    count, repeat = (2_000, 1) if args.quick else (args.items, args.repeat)

    setup = make_setup(count)
    naive = Naive.generate()
    gsomia_receive(setup, gsomia_send(setup, BATCH)[:BATCH])  # warm the key caches
    times: dict[str, list[float]] = {k: [] for k in ("gs", "gr", "ns", "nr")}
    for _ in range(repeat):
        seconds, wire = timed(gsomia_send, setup)
        times["gs"].append(seconds)
        seconds, opened = timed(gsomia_receive, setup, wire)
        times["gr"].append(seconds)
        if opened != setup.items:
            raise SystemExit("gsomia opened something other than what was sealed")
        seconds, sent = timed(naive_send, naive, setup.items)
        times["ns"].append(seconds)
        seconds, _ = timed(naive_receive, naive, sent)
        times["nr"].append(seconds)
    rate = {k: count / statistics.median(v) for k, v in times.items()}
    clock = "wall-clock second" if args.wall else "CPU-second of this process"
    print(
        f"protection: {count:,} items of {ITEM_SIZE} B, batches of {BATCH:,}, 2 holders, "
        f"rates per {clock}"
    )
    print(line("seal+bind", "items/s", rate["gs"], rate["ns"], repeat))
    print(line("verify+open", "items/s", rate["gr"], rate["nr"], repeat))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:,.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

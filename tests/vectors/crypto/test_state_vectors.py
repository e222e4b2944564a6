"""state-v1 vectors (``docs/formats/state-v1.md``): gsomia's seals match the file, and so does
an encoder written from the format page alone with the standard library's HMAC."""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from gsomia import crypto
from gsomia.errors import IntegrityError

VECTORS = json.loads((Path(__file__).parent / "state-v1.json").read_text(encoding="utf-8"))
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def fixed(name: str) -> bytes:
    return hashlib.sha256(b"gsomia test vector " + name.encode()).digest()


def keyring() -> crypto.Keyring:
    return crypto.Keyring.from_seeds(
        party="KOR",
        created_at=NOW,
        signing_seed=fixed("KOR signing"),
        encryption_seed=fixed("KOR encryption"),
        at_rest_key=fixed("KOR at-rest"),
        state_key=bytes.fromhex(VECTORS["state_key"]),
    )


def value_of(v: dict[str, Any]) -> object:
    kind, raw = v["type"], v["value"]
    if kind == "Y":
        return bytes.fromhex(raw)
    if kind == "T":
        return datetime.fromisoformat(raw)
    if kind == "D":
        return date.fromisoformat(raw)
    return raw


def text(s: str) -> bytes:
    data = s.encode("utf-8")
    return struct.pack(">I", len(data)) + data


def encode(v: dict[str, Any]) -> bytes:
    """One value, as the format page writes it."""
    kind, raw = v["type"], v["value"]
    if kind == "N":
        return b"N"
    if kind == "B":
        return b"B" + bytes([1 if raw else 0])
    if kind in ("I", "S", "D"):
        return kind.encode() + text(str(raw))
    if kind == "Y":
        data = bytes.fromhex(raw)
        return b"Y" + struct.pack(">I", len(data)) + data
    instant = datetime.fromisoformat(raw).astimezone(UTC)
    return b"T" + text(instant.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


CASES = VECTORS["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["table"] for c in CASES])
def test_gsomia_seals_as_the_vectors_say(case: dict[str, Any]) -> None:
    values = [value_of(v) for v in case["values"]]
    ring = keyring()
    args = {"table": case["table"], "key": case["key"], "version": case["version"]}
    seal = crypto.seal_row(keyring=ring, values=values, **args)
    assert seal.hex() == case["seal"]
    crypto.check_row(keyring=ring, values=values, seal=seal, **args)


@pytest.mark.parametrize("case", CASES, ids=[c["table"] for c in CASES])
def test_an_independent_encoder_gives_the_same_seal(case: dict[str, Any]) -> None:
    message = (
        b"gsomia/state-v1\x00"
        + text(case["table"])
        + text(case["key"])
        + struct.pack(">II", case["version"], len(case["values"]))
        + b"".join(encode(v) for v in case["values"])
    )
    key = bytes.fromhex(VECTORS["state_key"])
    key_id = hmac.new(key, b"gsomia/key-id-v1T", hashlib.sha256).digest()[:8]
    assert key_id.hex() == VECTORS["state_key_id"]
    assert (key_id + hmac.new(key, message, hashlib.sha256).digest()).hex() == case["seal"]


@pytest.mark.parametrize("case", CASES, ids=[c["table"] for c in CASES])
def test_any_change_breaks_the_seal(case: dict[str, Any]) -> None:
    values = [value_of(v) for v in case["values"]]
    ring = keyring()
    seal = bytes.fromhex(case["seal"])
    variants = [
        {"table": case["table"] + "x", "key": case["key"], "version": case["version"]},
        {"table": case["table"], "key": case["key"] + "x", "version": case["version"]},
        {"table": case["table"], "key": case["key"], "version": case["version"] + 1},
    ]
    for args in variants:
        with pytest.raises(IntegrityError):
            crypto.check_row(keyring=ring, values=values, seal=seal, **args)
    args = {"table": case["table"], "key": case["key"], "version": case["version"]}
    with pytest.raises(IntegrityError):
        crypto.check_row(keyring=ring, values=[*values, None], seal=seal, **args)
    with pytest.raises(IntegrityError):
        crypto.check_row(
            keyring=ring, values=values, seal=seal[:-1] + bytes([seal[-1] ^ 1]), **args
        )
    with pytest.raises(IntegrityError):
        crypto.check_row(keyring=ring, values=values, seal=None, **args)
    other = crypto.generate_keyring(party="KOR", now=NOW)
    with pytest.raises(IntegrityError):
        crypto.check_row(keyring=other, values=values, seal=seal, **args)

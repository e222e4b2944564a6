"""state-v1 vectors (``docs/formats/state-v1.md``): gsomia's seals match the file, and so does
an encoder written from the format page alone with the standard library's HMAC."""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest

from gsomia import crypto
from gsomia.errors import InputError, IntegrityError

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


def test_sealing_rows_in_a_batch_gives_the_vectors_seals() -> None:
    """Each table's cases sealed together, twice over (so that one batch holds rows that
    share instants and days), give each case's seal."""
    ring = keyring()
    for table in {c["table"] for c in CASES}:
        cases = [c for c in CASES if c["table"] == table] * 2
        rows = [(c["key"], c["version"], [value_of(v) for v in c["values"]]) for c in cases]
        seals = crypto.seal_rows(keyring=ring, table=table, rows=rows)
        assert [s.hex() for s in seals] == [c["seal"] for c in cases]


def test_a_batch_seals_each_value_as_its_own_type() -> None:
    """A batch remembers instants and days, never a value of another type that compares
    equal to one (an instant in another zone is the same instant; a boolean is not an
    integer), and refuses a naive instant as a row on its own does."""
    ring = keyring()
    instant = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    elsewhere = instant.astimezone(timezone(timedelta(hours=9)))
    values: list[list[object]] = [[instant], [elsewhere], [date(2026, 11, 28)], [True], [1]]
    rows = [("k", 0, v) for v in values]
    alone = [crypto.seal_row(keyring=ring, table="t", key="k", version=0, values=v) for v in values]
    assert crypto.seal_rows(keyring=ring, table="t", rows=rows) == alone
    assert alone[0] == alone[1] and len({alone[0], alone[2], alone[3], alone[4]}) == 4
    with pytest.raises(InputError):
        crypto.seal_rows(keyring=ring, table="t", rows=[("k", 0, [datetime(2026, 11, 28)])])


def test_a_batch_of_columns_seals_each_row_as_a_row_alone() -> None:
    """Rows sealed a column at a time (each distinct value of a column encoded once) give
    what each row sealed alone gives, whatever mix of types and empty values a column holds:
    none beside one type, a boolean beside an integer, a text beside its enumeration member,
    one instant in two zones, bytes, and rows without values."""

    class Kind(StrEnum):
        ONE = "one"

    instant = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    elsewhere = instant.astimezone(timezone(timedelta(hours=9)))
    columns: list[list[object]] = [
        [None, "text", "text", None],
        [True, 1, False, 0],
        ["one", Kind.ONE, Kind.ONE, "one"],
        [instant, elsewhere, None, instant],
        [b"", b"\x00bytes", None, b"\x00bytes"],
        [date(2026, 11, 28), date(2026, 11, 29), date(2026, 11, 28), None],
        [None, None, None, None],
        [7, 7, 2**70, -1],
    ]
    ring = keyring()
    rows = [(f"k{i}", i % 2, [column[i] for column in columns]) for i in range(4)]
    alone = [
        crypto.seal_row(keyring=ring, table="t", key=k, version=v, values=x) for k, v, x in rows
    ]
    assert crypto.seal_rows(keyring=ring, table="t", rows=rows) == alone
    empty = [("a", 0, []), ("b", 1, [])]
    assert crypto.seal_rows(keyring=ring, table="t", rows=empty) == [
        crypto.seal_row(keyring=ring, table="t", key=k, version=v, values=x) for k, v, x in empty
    ]
    with pytest.raises(InputError):
        crypto.seal_rows(keyring=ring, table="t", rows=[("a", 0, [instant]), ("b", 0, [1.5])])

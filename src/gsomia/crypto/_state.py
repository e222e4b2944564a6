"""state-v1: the node's seal on the rows of its own store.

A database writer who does not hold the master secret must not be able to change what the
rules decide from: a person's clearance, a registration, an authority grant, a token, an
item's level, topic or facility. Each such row carries a seal, HMAC-SHA-256 (RFC 2104) under
the node's newest *state* key over the table, the row's key and version and its values in a
canonical encoding; the store checks it on every read. A state key never leaves the
keyring, which the master secret encrypts. Layout of a seal::

    state key id (8) | HMAC-SHA-256(state key, encoding) (32)

    encoding = "gsomia/state-v1" 0x00 | text(table) | text(key) | u32(version)
               | u32(number of values) | value ...
    text(s)  = u32(len(UTF-8 of s)) | UTF-8 of s
    value    = "N"                         none
             | "B" 0x00 or 0x01            boolean
             | "I" text(decimal digits)    integer
             | "S" text(s)                 text
             | "Y" u32(len) | bytes        bytes
             | "T" text(ISO 8601 UTC, microseconds, "Z")   instant
             | "D" text(YYYY-MM-DD)        day

Any failure is an :class:`~gsomia.errors.IntegrityError` that names nothing secret.
"""

from __future__ import annotations

import hmac
import struct
from collections.abc import Sequence
from datetime import UTC, date, datetime

from gsomia.crypto import _primitives as prim
from gsomia.crypto._keys import KEY_ID_SIZE, KeyKind, Keyring
from gsomia.crypto._wire import u32
from gsomia.errors import ConfigError, InputError, IntegrityError

__all__ = ["STATE_SEAL_SIZE", "check_row", "seal_row", "seal_rows"]

_FORMAT = b"gsomia/state-v1\x00"
STATE_SEAL_SIZE = KEY_ID_SIZE + 32
_pack = struct.Struct(">I").pack


def _text(value: str) -> bytes:
    data = value.encode("utf-8", "surrogatepass")
    return u32(len(data)) + data


def _other_value(value: object) -> bytes:
    if isinstance(value, bool):
        return b"B" + (b"\x01" if value else b"\x00")
    if isinstance(value, int):
        return b"I" + _text(str(value))
    if isinstance(value, str):
        return b"S" + _text(value)
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        return b"Y" + u32(len(data)) + data
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InputError("a naive datetime cannot be sealed: state-v1 takes aware instants")
        u = value.astimezone(UTC)
        return b"T" + _text(u.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    if isinstance(value, date):
        return b"D" + _text(value.isoformat())
    raise InputError(f"state-v1 cannot seal a {type(value).__name__}")


#: Types whose encodings one batch remembers besides text: the rows of a batch share their
#: instants and days, and formatting an instant costs more than the rest of a row's text.
_REMEMBERED = frozenset({datetime, date})


def _values(values: Sequence[object], memo: dict[object, bytes]) -> list[bytes]:
    """The encodings of ``values``, in order (what state-v1 gives for each).

    ``memo`` keeps encodings across the rows of one batch, most of whose values repeat:
    text under itself, instants and days under (type, value), so that no value is taken for
    another of a different type that compares equal to it. None and bytes are encoded
    inline: a call per value costs more than encoding it.
    """
    parts: list[bytes] = []
    append = parts.append
    remembered = memo.get
    for value in values:
        kind = type(value)
        if kind is str:
            done = remembered(value)
            if done is None:
                data = value.encode("utf-8", "surrogatepass")  # type: ignore[attr-defined]
                done = memo[value] = b"S" + _pack(len(data)) + data
            append(done)
        elif value is None:
            append(b"N")
        elif kind is bytes:
            append(b"Y" + _pack(len(value)) + value)  # type: ignore[arg-type, operator]
        elif kind in _REMEMBERED:
            key = (kind, value)
            done = remembered(key)
            if done is None:
                done = memo[key] = _other_value(value)
            append(done)
        else:
            append(_other_value(value))
    return parts


def _encoding(
    table: str,
    key: str,
    version: int,
    values: Sequence[object],
    *,
    memo: dict[object, bytes] | None = None,
    head: bytes | None = None,
) -> bytes:
    """The state-v1 encoding of one row; ``head`` is ``_FORMAT + text(table)`` when the
    caller has it already."""
    parts = _values(values, {} if memo is None else memo)
    if head is None:
        head = _FORMAT + _text(table)
    data = key.encode("utf-8", "surrogatepass")
    parts[:0] = (head, _pack(len(data)), data, _pack(version), _pack(len(values)))
    return b"".join(parts)


def _sealing_key(keyring: Keyring) -> tuple[bytes, bytes]:
    """The newest state key's id and secret; raises :class:`ConfigError` when there is none."""
    own = keyring.newest(KeyKind.STATE) if keyring.has_own(KeyKind.STATE) else None
    if own is None:
        raise ConfigError("the keyring has no state key")
    return own.key_id, own.secret


def seal_row(
    *, keyring: Keyring, table: str, key: str, version: int, values: Sequence[object]
) -> bytes:
    """The seal of one stored row under the newest state key (state-v1).

    Raises :class:`ConfigError` when the keyring has no state key and :class:`InputError`
    for a value state-v1 cannot encode.
    """
    key_id, secret = _sealing_key(keyring)
    return key_id + prim.hmac_sha256(secret, _encoding(table, key, version, values))


def seal_rows(
    *, keyring: Keyring, table: str, rows: Sequence[tuple[str, int, Sequence[object]]]
) -> list[bytes]:
    """:func:`seal_row` for many rows of one table, each given as (key, version, values);
    their seals, in order. The same bytes as sealing them one by one.

    Raises :class:`ConfigError` when the keyring has no state key and :class:`InputError`
    for a value state-v1 cannot encode.
    """
    key_id, secret = _sealing_key(keyring)
    head = _FORMAT + _text(table)
    mac = prim.hmac_sha256
    if len({len(values) for _, _, values in rows}) > 1:
        memo: dict[object, bytes] = {}
        return [
            key_id + mac(secret, _encoding(table, key, version, values, memo=memo, head=head))
            for key, version, values in rows
        ]
    return [key_id + mac(secret, encoding) for encoding in _encodings(head, rows)]


def _encodings(head: bytes, rows: Sequence[tuple[str, int, Sequence[object]]]) -> list[bytes]:
    """The state-v1 encodings of rows that have as many values each, a column at a time:
    the rows of a batch share most of their values, so each distinct value of a column is
    encoded once (:func:`_column`), and each row is one join of its parts."""
    if not rows:
        return []
    count = _pack(len(rows[0][2]))
    versions: dict[int, bytes] = {}
    starts = []
    for key, version, _ in rows:
        data = key.encode("utf-8", "surrogatepass")
        packed = versions.get(version)
        if packed is None:
            packed = versions[version] = _pack(version) + count
        starts.append(head + _pack(len(data)) + data + packed)
    columns = [_column(column) for column in zip(*[values for _, _, values in rows], strict=True)]
    return list(map(b"".join, zip(starts, *columns, strict=True)))


#: Value types encoded once per distinct value of a column: each is hashable, and two values
#: of one of them that compare equal have the same encoding.
_BY_VALUE = frozenset({str, int, bool, datetime, date})


def _column(values: Sequence[object]) -> Sequence[bytes]:
    """The encodings of one column's values, in order (what state-v1 gives for each)."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if not kinds:
        return [b"N"] * len(values)
    kind = kinds.pop() if len(kinds) == 1 else None
    if kind is bytes:
        return [
            b"N" if v is None else b"Y" + _pack(len(v)) + v  # type: ignore[arg-type, operator]
            for v in values
        ]
    if kind is not None and (kind in _BY_VALUE or issubclass(kind, str)):
        # One type besides None, so no value is taken for another of a different type that
        # compares equal to it (1 and True, a text and its enumeration member are apart).
        done = {v: b"N" if v is None else _other_value(v) for v in set(values)}
        return list(map(done.__getitem__, values))
    return [b"N" if v is None else _other_value(v) for v in values]


def check_row(
    *,
    keyring: Keyring,
    table: str,
    key: str,
    version: int,
    values: Sequence[object],
    seal: bytes | None,
) -> None:
    """Check a stored row's seal under the state key it names (state-v1).

    Raises :class:`IntegrityError` when there is no seal, the key is not held or the MAC
    does not match.
    """
    if seal is None or len(seal) != STATE_SEAL_SIZE:
        raise IntegrityError("the row carries no seal")
    own = keyring._own(KeyKind.STATE, bytes(seal[:KEY_ID_SIZE]))
    if own is None:
        raise IntegrityError("the row is sealed under a state key this keyring does not hold")
    try:
        mac = prim.hmac_sha256(own.secret, _encoding(table, key, version, values))
    except InputError:
        raise IntegrityError("the row holds a value state-v1 cannot encode") from None
    if not hmac.compare_digest(mac, bytes(seal[KEY_ID_SIZE:])):
        raise IntegrityError("the row does not match its seal")

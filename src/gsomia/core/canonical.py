"""Canonical JSON bytes (RFC 8785, JSON Canonicalization Scheme) for gsomia's value domain.

gsomia's signed and hashed structures (labels, ledger entries, consents) contain only
objects, arrays, strings, booleans, null and integers of magnitude below 2**53. On that
domain RFC 8785 reduces to: object members sorted by the UTF-16 code units of their names,
no insignificant whitespace, strings in UTF-8 with the ECMAScript escapes (``\\b \\f \\n
\\r \\t \\" \\\\`` and ``\\u00xx`` in lower-case hex for other controls), integers in plain
decimal. Floats are refused rather than formatted, so no two encoders can disagree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from gsomia.errors import InputError

__all__ = [
    "ascii_column",
    "canonical_json",
    "column_matches",
    "cut_around",
    "parse_canonical",
    "splice",
]

_MAX_INT = 2**53 - 1
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def canonical_json(value: Any) -> bytes:
    """Encode ``value`` as RFC 8785 canonical JSON bytes.

    Raises :class:`InputError` on a float, a lone surrogate, an integer outside the
    interoperable range, a non-string key or any other type.
    """
    return "".join(_emit(value, "$")).encode("utf-8")


def _emit(value: Any, where: str) -> list[str]:
    if value is None or isinstance(value, bool):
        return [_ENCODER.encode(value)]
    if isinstance(value, int):
        if abs(value) > _MAX_INT:
            raise InputError(f"{where}: integer {value} is outside the interoperable range")
        return [str(value)]
    if isinstance(value, str):
        return [_string(value, where)]
    if isinstance(value, Mapping):
        return _object(value, where)
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        parts = ["["]
        for i, item in enumerate(value):
            if i:
                parts.append(",")
            parts.extend(_emit(item, f"{where}[{i}]"))
        parts.append("]")
        return parts
    raise InputError(f"{where}: {type(value).__name__} cannot be canonicalised")


def _object(value: Mapping[Any, Any], where: str) -> list[str]:
    for key in value:
        if not isinstance(key, str):
            raise InputError(f"{where}: object keys must be strings, not {type(key).__name__}")
    parts = ["{"]
    for i, key in enumerate(sorted(value, key=lambda k: k.encode("utf-16-be"))):
        if i:
            parts.append(",")
        parts.append(_string(key, where))
        parts.append(":")
        parts.extend(_emit(value[key], f"{where}.{key}"))
    parts.append("}")
    return parts


def _string(text: str, where: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{where}: string holds a lone surrogate") from None
    return _ENCODER.encode(text)


def parse_canonical(data: bytes, *, what: str) -> Any:
    """Parse bytes that must already be canonical JSON; raises :class:`InputError` otherwise.

    Re-encoding the parsed value must give the same bytes back, which rejects duplicate
    keys, whitespace, floats and non-canonical escapes in one test.
    """
    try:
        value = json.loads(data.decode("utf-8"), parse_float=_no_float, parse_constant=_no_float)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        raise InputError(f"{what}: not valid canonical JSON ({exc})") from None
    if canonical_json(value) != data:
        raise InputError(f"{what}: JSON is valid but not in canonical form (RFC 8785)")
    return value


def _no_float(text: str) -> Any:
    raise ValueError(f"non-integer number {text}")


# Splicing: the one validate-once-then-splice implementation, for labels
# (gsomia.core.labels) and ledger entries (gsomia.ledger.entries). Values that differ from a
# validated template only in string members whose syntax is closed (ids, digests, times:
# ASCII, no quote, no backslash, no newline) have the template's bytes with those values
# spliced in. The caller checks every spliced value against its exact pattern (a whole
# column at once with :func:`column_matches`) and the cut against the template's own bytes.


def cut_around(
    members: Mapping[str, Any],
    paths: Sequence[tuple[str, ...]],
    *,
    encode: Callable[[Any], str],
    head: bytes = b"",
) -> list[bytes]:
    """The JSON text of ``members`` (keys sorted, no whitespace, other values by
    ``encode``) cut around the string values at ``paths``: top-level names, or a name in an
    object one level down. ``paths`` must be in the order the text has them; ``head`` is
    put before the first segment. Raises :class:`InputError` when a path is not where the
    text has it."""
    wanted = set(paths)
    segments: list[str] = []
    found: list[tuple[str, ...]] = []

    def emit(obj: Mapping[str, Any], at: tuple[str, ...], text: str) -> str:
        text += "{"
        for i, key in enumerate(sorted(obj)):
            text += f'{"," if i else ""}"{key}":'
            path = (*at, key)
            if path in wanted:
                if not isinstance(obj[key], str):
                    raise InputError(f"splice: {'.'.join(path)} is not a string")
                segments.append(text + '"')
                found.append(path)
                text = '"'
            elif isinstance(obj[key], Mapping) and any(p[: len(path)] == path for p in wanted):
                text = emit(obj[key], path, text)
            else:
                text += encode(obj[key])
        return text + "}"

    tail = emit(members, (), "")
    if found != list(paths):
        raise InputError("splice: the varying members are not where the template has them")
    cut = [s.encode("utf-8") for s in [*segments, tail]]
    cut[0] = head + cut[0]
    return cut


def splice(cut: Sequence[bytes], columns: Sequence[Sequence[bytes]]) -> list[bytes]:
    """``cut[0] + v0 + cut[1] + v1 + ...`` for each row of values across ``columns`` (one
    column per cut point, all of one length)."""
    if len(columns) == 1:
        s0, s1 = cut
        return [b"".join((s0, a, s1)) for a in columns[0]]
    if len(columns) == 2:
        s0, s1, s2 = cut
        return [b"".join((s0, a, s1, b, s2)) for a, b in zip(*columns, strict=True)]
    if len(columns) == 3:
        s0, s1, s2, s3 = cut
        return [b"".join((s0, a, s1, b, s2, c, s3)) for a, b, c in zip(*columns, strict=True)]
    return [
        b"".join([cut[0], *(x for pair in zip(row, cut[1:], strict=True) for x in pair)])
        for row in zip(*columns, strict=True)
    ]


def ascii_column(values: Sequence[str]) -> list[bytes]:
    """ASCII bytes of validated values (none holds a newline), a whole column at once."""
    if not values:
        return []
    return "\n".join(values).encode("ascii").split(b"\n")


def column_matches(column: re.Pattern[str], values: Sequence[object]) -> bool:
    """Whether every one of ``values`` is a string matching ``column``'s unit, checked with
    one match: ``column`` is ``(?:unit\\n)*`` for a unit that matches no newline, so the
    text matches exactly when it has as many lines as values and each line matches."""
    try:
        text = "\n".join(values) + "\n"  # type: ignore[arg-type]
    except TypeError:
        return False
    return text.count("\n") == len(values) and column.fullmatch(text) is not None

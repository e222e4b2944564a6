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
from collections.abc import Mapping, Sequence
from typing import Any

from gsomia.errors import InputError

__all__ = ["canonical_json", "parse_canonical"]

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

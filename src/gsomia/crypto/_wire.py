"""Byte-level reading for gsomia's binary formats, and the one opaque failure.

Every parse failure of a protected format is reported exactly like a failed tag or
signature: one :class:`~gsomia.errors.IntegrityError` with one message, so that a peer
learns nothing from which check refused its bytes (the Fernet ``InvalidToken`` rule).
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from gsomia.errors import IntegrityError

__all__ = ["OPAQUE", "Reader", "builder", "fail", "u32", "u64"]

_T = TypeVar("_T")

#: The message of every integrity or decryption failure of an item, a binding or a frame.
OPAQUE = "the item did not verify or cannot be opened here"

_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")


def fail() -> NoReturn:
    """Raise the opaque :class:`IntegrityError`."""
    raise IntegrityError(OPAQUE)


def u32(value: int) -> bytes:
    """``value`` as 4 big-endian bytes."""
    return _U32.pack(value)


def u64(value: int) -> bytes:
    """``value`` as 8 big-endian bytes."""
    return _U64.pack(value)


def builder(cls: type[_T]) -> Callable[..., _T]:
    """A positional constructor for a frozen, slotted dataclass that skips ``__init__``.

    Only for values assembled inside gsomia.crypto from parts already checked (a sealed
    item's fields, a parsed record whose layout was verified): it sets every field, in
    declaration order, through the slot descriptors. The function is generated with one
    statement per field, as :mod:`dataclasses` generates ``__init__``, because on the
    per-item paths a loop over the fields costs more than the work it wraps.
    """
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    lines = [f"def build({', '.join(f'v{i}' for i in range(len(names)))}):", "    obj = new(cls)"]
    for index, name in enumerate(names):
        namespace[f"set{index}"] = cls.__dict__[name].__set__
        lines.append(f"    set{index}(obj, v{index})")
    lines.append("    return obj")
    exec("\n".join(lines), namespace)  # noqa: S102 (generated from the class's own field list)
    return namespace["build"]  # type: ignore[no-any-return]


class Reader:
    """Reads fixed and length-prefixed fields from a byte string; any overrun fails opaquely."""

    __slots__ = ("_data", "_pos")

    def __init__(self, data: bytes, start: int = 0) -> None:
        self._data = data
        self._pos = start

    def take(self, size: int) -> bytes:
        """The next ``size`` bytes."""
        end = self._pos + size
        if size < 0 or end > len(self._data):
            fail()
        chunk = self._data[self._pos : end]
        self._pos = end
        return chunk

    def u8(self) -> int:
        """The next byte as an integer."""
        return self.take(1)[0]

    def u32(self) -> int:
        """The next 4 bytes as a big-endian integer."""
        return int(_U32.unpack(self.take(4))[0])

    def u64(self) -> int:
        """The next 8 bytes as a big-endian integer."""
        return int(_U64.unpack(self.take(8))[0])

    def party(self) -> str:
        """A three-letter upper-case party code."""
        raw = self.take(3)
        if not (raw.isalpha() and raw.isupper()):
            fail()
        return raw.decode("ascii")

    def end(self) -> None:
        """Fail unless every byte has been read."""
        if self._pos != len(self._data):
            fail()

"""Scenario data files: TOML shipped in ``gsomia/warning/scenario/data/`` to frozen values.

The missile classes, launch sites, sensors and dated launches are data, kept in TOML files
beside this module the way agreements are kept in ``agreements/``. Each file holds arrays of
tables; each table becomes one frozen dataclass, every field checked against the field's
declared type: a required field missing, a field the class does not have, or a value of the
wrong type raises :class:`~gsomia.errors.InputError` naming the file, the entry and the
field (``missiles.toml: missile[kn-23].stages[1].isp_s: expected a number, got 'fast'``).
Nothing half-built is returned.

The files are part of the package, read once like its code; no scenario depends on a file a
user supplies, so every simulation stays reproducible.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from importlib import resources
from typing import Any, TypeVar

from gsomia.errors import InputError

__all__ = ["build", "check_unique", "data_text", "entries", "fail", "parse"]

T = TypeVar("T")


def fail(where: str, field: str, problem: str) -> InputError:
    """The error for a bad value: ``file: field: problem``."""
    return InputError(f"{where}: {field}: {problem}")


def data_text(name: str) -> str:
    """The text of the packaged data file ``name`` (e.g. ``"missiles.toml"``)."""
    return resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8")


def parse(text: str, where: str) -> dict[str, Any]:
    """``text`` parsed as TOML; a syntax error names ``where``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise fail(where, "(syntax)", str(exc)) from None


def entries(
    raw: Mapping[str, Any], table: str, where: str, *, also: tuple[str, ...] = ()
) -> list[tuple[str, Mapping[str, Any]]]:
    """The array of tables ``table``: each entry with the name errors call it by.

    An entry is called ``table[key]`` (or ``table[name]``) when it has one, else ``table[i]``.
    A top-level name that is neither ``table`` nor one of ``also`` (the file's other arrays) is
    an error, so a misspelt array is not skipped.
    """
    for other in raw:
        if other != table and other not in also:
            wanted = ", ".join(f"[[{t}]]" for t in (table, *also))
            raise fail(where, other, f"unknown table; this file holds {wanted} entries")
    found = raw.get(table)
    if not isinstance(found, list) or not found:
        raise fail(where, table, f"expected one or more [[{table}]] entries")
    out: list[tuple[str, Mapping[str, Any]]] = []
    for i, entry in enumerate(found):
        if not isinstance(entry, dict):
            raise fail(where, f"{table}[{i}]", "expected a table")
        label = entry.get("key", entry.get("name", i))
        out.append((f"{table}[{label}]", entry))
    return out


def build(cls: type[T], raw: Mapping[str, Any], *, where: str, field: str) -> T:
    """An instance of the dataclass ``cls`` from ``raw``, each field checked against its type.

    A required field missing, an unknown field, a value of the wrong type, or a value the
    class itself refuses raises :class:`InputError` naming ``where`` and ``field.name``.
    """
    if not isinstance(raw, Mapping):
        raise fail(where, field, f"expected a table, got {raw!r}")
    hints, known = _shape(cls)
    for name in raw:
        if name not in known:
            raise fail(where, f"{field}.{name}", f"unknown field of {cls.__name__}")
    values: dict[str, Any] = {}
    for name, spec in known.items():
        if name not in raw:
            no_default = spec.default is dataclasses.MISSING
            if no_default and spec.default_factory is dataclasses.MISSING:
                if not _optional(hints[name]):
                    raise fail(where, f"{field}.{name}", "required field missing")
                values[name] = None  # TOML has no null: an optional field left out is None
            continue
        values[name] = _convert(hints[name], raw[name], where, f"{field}.{name}")
    try:
        return cls(**values)
    except InputError as exc:
        raise fail(where, field, str(exc)) from None


_Shape = tuple[dict[str, Any], dict[str, "dataclasses.Field[Any]"]]
_SHAPES: dict[type, _Shape] = {}


def _shape(cls: type) -> _Shape:
    """The field types and fields of the dataclass ``cls``, worked out once per class."""
    shape = _SHAPES.get(cls)
    if shape is None:
        fields = {f.name: f for f in dataclasses.fields(cls)}
        shape = _SHAPES[cls] = (typing.get_type_hints(cls), fields)
    return shape


def _optional(hint: Any) -> bool:
    origin = typing.get_origin(hint)
    return origin in (typing.Union, types.UnionType) and type(None) in typing.get_args(hint)


def _convert(hint: Any, value: Any, where: str, field: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        # TOML has no null: an optional field is left out, so only the other arm is read.
        (inner,) = [a for a in args if a is not type(None)]
        return _convert(inner, value, where, field)
    if origin is tuple:
        if not isinstance(value, list):
            raise fail(where, field, f"expected an array, got {value!r}")
        return tuple(_convert(args[0], v, where, f"{field}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(hint):
        return build(typing.cast(type[Any], hint), value, where=where, field=field)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail(where, field, f"expected a number, got {value!r}")
        return float(value)
    return _scalar(hint, value, where, field)


_SCALARS: Mapping[Any, tuple[str, tuple[type, ...], tuple[type, ...]]] = {
    int: ("an integer", (int,), (bool,)),
    str: ("a string", (str,), ()),
    bool: ("true or false", (bool,), ()),
    date: ("a date (YYYY-MM-DD)", (date,), (datetime,)),
    time: ("a local time (HH:MM:SS)", (time,), ()),
}


def _scalar(hint: Any, value: Any, where: str, field: str) -> Any:
    what, ok, refused = _SCALARS[hint]
    if not isinstance(value, ok) or isinstance(value, refused):
        raise fail(where, field, f"expected {what}, got {value!r}")
    return value


def check_unique(names: Sequence[tuple[str, str]], where: str) -> None:
    """Raise naming the entry when a name (``(entry, name)`` pairs) is used twice."""
    seen: set[str] = set()
    for entry, name in names:
        if name in seen:
            raise fail(where, entry, f"the name {name!r} is used twice")
        seen.add(name)

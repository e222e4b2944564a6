"""Typed workflow records: frozen values with a kind, a state, legal transitions and a JSON body.

A record class declares its ``KIND`` (the store's record kind), its states with the initial
ones and the transitions between them (a table a test walks), and its fields as a frozen
dataclass. :meth:`Record.to_body` gives the JSON body the store keeps; :meth:`Record.from_body`
reads it back, including the bodies earlier versions wrote (the keys are the same). A change
of state is :meth:`Record.advance`, which refuses a transition the table does not list.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, ClassVar, Self, TypeVar

from gsomia.errors import InputError

__all__ = ["JSON", "Record", "key"]

JSON = Any
R = TypeVar("R", bound="Record")


def key(name: str, default: Any = dataclasses.MISSING) -> Any:
    """A field stored under the body key ``name`` (for keys that are Python keywords)."""
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata={"key": name})
    return dataclasses.field(default=default, metadata={"key": name})


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """One workflow record: its id, its state and its fields (the body)."""

    KIND: ClassVar[str] = ""
    #: The states a record starts in.
    INITIAL: ClassVar[frozenset[str]] = frozenset()
    #: For each state, the states it may move to (a final state maps to nothing).
    TRANSITIONS: ClassVar[Mapping[str, frozenset[str]]] = {}

    id: str
    state: str

    def __post_init__(self) -> None:
        if self.state not in self.TRANSITIONS:
            raise InputError(f"{self.KIND} {self.id}: {self.state!r} is not one of its states")

    @classmethod
    def states(cls) -> frozenset[str]:
        """Every state of this kind of record."""
        return frozenset(cls.TRANSITIONS)

    def advance(self, to: str, **changes: Any) -> Self:
        """This record in state ``to`` with ``changes``; raises :class:`InputError` when the
        table does not let the record move there (a request already answered, an incident
        already closed)."""
        if to not in self.TRANSITIONS.get(self.state, frozenset()):
            raise InputError(f"{self.KIND} {self.id} is {self.state}; it cannot become {to}")
        return dataclasses.replace(self, state=to, **changes)

    def amend(self, **changes: Any) -> Self:
        """This record, in the same state, with ``changes`` (acknowledgements, replies)."""
        return dataclasses.replace(self, **changes)

    def to_body(self) -> dict[str, JSON]:
        """The JSON body the store keeps (every field but the id and the state)."""
        out: dict[str, JSON] = {}
        for f in _fields(type(self)):
            out[f.metadata.get("key", f.name)] = _dump(getattr(self, f.name))
        return out

    @classmethod
    def from_body(cls, *, record_id: str, state: str, body: Mapping[str, JSON]) -> Self:
        """The record a stored body describes; raises :class:`InputError` naming the key that
        is missing or malformed."""
        hints = _hints(cls)
        values: dict[str, Any] = {}
        for f in _fields(cls):
            name = f.metadata.get("key", f.name)
            if name not in body:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    raise InputError(f"{cls.KIND} {record_id}: the body has no {name!r}")
                continue
            values[f.name] = _load(hints[f.name], body[name], where=f"{cls.KIND}.{name}")
        return cls(id=record_id, state=state, **values)


def _fields(cls: type[Record]) -> tuple[dataclasses.Field[Any], ...]:
    return tuple(f for f in dataclasses.fields(cls) if f.name not in ("id", "state"))


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _dump(value: Any) -> JSON:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_dump(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _dump(v) for k, v in value.items()}
    return value


def _load(hint: Any, value: JSON, *, where: str) -> Any:  # noqa: PLR0911 - one case per type
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        (inner,) = [o for o in options if o is not type(None)]
        return _load(inner, value, where=where)
    try:
        if hint is datetime:
            return datetime.fromisoformat(str(value))
        if hint is date:
            return date.fromisoformat(str(value))
        if origin is tuple:
            (inner, _) = typing.get_args(hint)
            return tuple(_load(inner, v, where=where) for v in value)
        if origin in (Mapping, dict) or hint is Any:
            return value
        if hint in (str, int, bool) and not isinstance(value, hint):
            raise TypeError(f"expected {hint.__name__}")
    except (TypeError, ValueError) as exc:
        raise InputError(f"{where}: {exc}") from None
    return value

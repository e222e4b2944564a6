"""Positional constructors for frozen, slotted dataclasses, skipping ``__init__``.

Only for the batch paths that assemble values from parts already validated: labels made
from a validated template (:meth:`gsomia.core.labels.Label.batch`), ledger entries spliced
from a validated one, and a node's records of such items. ``__init__`` of a frozen class
sets each field through ``object.__setattr__`` and then validates; a batch of a thousand
items pays that a thousand times for checks that hold by construction.

A public module because three packages' batch paths use it (``core.labels``,
``ledger.entries``, ``services.plumbing.transfers``); its name says what a caller gives up.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["builder"]

_T = TypeVar("_T")


def builder(cls: type[_T]) -> Callable[..., _T]:
    """A function taking every field of ``cls`` by keyword (the ``init=False`` ones too, and
    no defaults) and returning the instance without running ``__init__``.

    The function is generated with one statement per field, as :mod:`dataclasses` generates
    ``__init__``, because a loop over the fields costs more than the work it wraps.
    """
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    lines = [f"def build(*, {', '.join(names)}):", "    obj = new(cls)"]
    for index, name in enumerate(names):
        namespace[f"set{index}"] = cls.__dict__[name].__set__
        lines.append(f"    set{index}(obj, {name})")
    lines.append("    return obj")
    exec("\n".join(lines), namespace)  # noqa: S102 (generated from the class's own fields)
    return namespace["build"]  # type: ignore[no-any-return]

"""Missile classes: stages, burn times, ballistic coefficients and radar cross-sections.

No public source gives measured burn times, thrust profiles, ballistic coefficients or radar
cross-sections for North Korean missiles (spec/missile-scenario.md §2, "Burn times"). Every
number here is therefore an assumption, chosen as docs/assumptions.md explains: stage burn
times of the size typical for liquid and solid stages of each missile's class, propellant
fractions calibrated so that each class's full burn covers the most energetic reported shot of
that class (and, where a standard-trajectory range was reported, roughly reproduces it), and
ballistic coefficients and cross-sections of the usual order for re-entry vehicles, missile
bodies and tumbling spent stages. Each class is a value; the catalogue is :func:`missile_classes`,
read once from ``data/missiles.toml`` and checked field by field.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from gsomia.errors import UnknownName
from gsomia.warning.physics.vehicles import MissileClass
from gsomia.warning.scenario.data_files import build, check_unique, data_text, entries, parse

__all__ = ["missile_class", "missile_classes", "parse_missile_classes"]


def parse_missile_classes(text: str, where: str = "missiles.toml") -> tuple[MissileClass, ...]:
    """The missile classes in the TOML ``text``; a bad entry raises naming ``where``, the field."""
    classes = tuple(
        build(MissileClass, raw, where=where, field=entry)
        for entry, raw in entries(parse(text, where), "missile", where)
    )
    check_unique(
        [(f"missile[{c.key}]", name) for c in classes for name in (c.key, *c.aliases)], where
    )
    return classes


_CLASSES: tuple[MissileClass, ...] = parse_missile_classes(data_text("missiles.toml"))

_BY_NAME: Mapping[str, MissileClass] = MappingProxyType(
    {name: c for c in _CLASSES for name in (c.key, *c.aliases)}
)


def missile_classes() -> tuple[MissileClass, ...]:
    """Every class in the catalogue, from the least to the most capable."""
    return _CLASSES


def missile_class(name: str) -> MissileClass:
    """The class called ``name`` (key or alias, case-insensitive).

    Raises :class:`~gsomia.errors.UnknownName` when there is none.
    """
    found = _BY_NAME.get(name.strip().lower())
    if found is None:
        raise UnknownName(kind="missile class", name=name, known=(c.key for c in _CLASSES))
    return found

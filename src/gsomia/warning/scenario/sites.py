"""Launch sites in North Korea, with the coordinates spec/missile-scenario.md §1 gives.

The data is ``data/sites.toml``; this module reads it once, checked field by field.

Sites the spec marks [UNCONFIRMED] carry approximate coordinates (a town or area centre) and
``approximate=True``; do not read them as surveyed positions. Heights are set to sea level:
a few hundred metres of launch altitude change a trajectory far less than the reported
figures' own spread.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from gsomia.errors import UnknownName
from gsomia.warning.scenario.data_files import build, check_unique, data_text, entries, parse

__all__ = ["LaunchSite", "launch_site", "launch_sites", "parse_launch_sites"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LaunchSite:
    """A named launch area: WGS-84 latitude and longitude (degrees) and height (m)."""

    key: str
    name: str
    lat_deg: float
    lon_deg: float
    height_m: float = 0.0
    approximate: bool
    aliases: tuple[str, ...] = ()
    source: str = ""


def parse_launch_sites(text: str, where: str = "sites.toml") -> tuple[LaunchSite, ...]:
    """The launch sites in the TOML ``text``; a bad entry raises naming ``where`` and the field."""
    sites = tuple(
        build(LaunchSite, raw, where=where, field=entry)
        for entry, raw in entries(parse(text, where), "site", where)
    )
    check_unique([(f"site[{s.key}]", name) for s in sites for name in (s.key, *s.aliases)], where)
    return sites


_SITES: tuple[LaunchSite, ...] = parse_launch_sites(data_text("sites.toml"))
_BY_NAME: Mapping[str, LaunchSite] = MappingProxyType(
    {name: s for s in _SITES for name in (s.key, *s.aliases)}
)


def launch_sites() -> tuple[LaunchSite, ...]:
    """Every launch site in the catalogue."""
    return _SITES


def launch_site(name: str) -> LaunchSite:
    """The site called ``name`` (key or alias, case-insensitive).

    Raises :class:`~gsomia.errors.UnknownName` when there is none.
    """
    found = _BY_NAME.get(name.strip().lower())
    if found is None:
        raise UnknownName(kind="launch site", name=name, known=(s.key for s in _SITES))
    return found

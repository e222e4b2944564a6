"""Launch sites in North Korea, with the coordinates spec/missile-scenario.md §1 gives.

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

__all__ = ["LaunchSite", "launch_site", "launch_sites"]


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


_SITES: tuple[LaunchSite, ...] = (
    LaunchSite(
        key="sohae",
        name="Sohae Satellite Launching Station (Tongchang-ri)",
        lat_deg=39.660,
        lon_deg=124.705,
        approximate=False,
        aliases=("tongchang-ri",),
        source="spec §1 (Wikipedia, NTI)",
    ),
    LaunchSite(
        key="sunan",
        name="Pyongyang (Sunan) International Airport",
        lat_deg=39.224,
        lon_deg=125.670,
        approximate=False,
        aliases=("pyongyang", "pyongyang-airport"),
        source="spec §1 (airport reference point)",
    ),
    LaunchSite(
        key="panghyon",
        name="Panghyon airfield (Kusong)",
        lat_deg=39.927,
        lon_deg=125.208,
        approximate=False,
        aliases=("kusong",),
        source="spec §1",
    ),
    LaunchSite(
        key="kalma",
        name="Wonsan / Kalma airport",
        lat_deg=39.166,
        lon_deg=127.484,
        approximate=False,
        aliases=("wonsan",),
        source="spec §1",
    ),
    LaunchSite(
        key="hodo",
        name="Hodo Peninsula near Wonsan",
        lat_deg=39.35,
        lon_deg=127.53,
        approximate=True,
        source="area centre; spec §2 names the peninsula, not coordinates",
    ),
    LaunchSite(
        key="wonsan-sea",
        name="Sea about 17 km north-east of Wonsan",
        lat_deg=39.26,
        lon_deg=127.58,
        approximate=True,
        source="spec §1: Pukguksong-3 fired from the sea about 17 km NE of Wonsan",
    ),
    LaunchSite(
        key="sinpo",
        name="Sinpo (South Hamgyong)",
        lat_deg=40.035,
        lon_deg=128.186,
        approximate=False,
        aliases=("sinpho",),
        source="spec §1 (city)",
    ),
    LaunchSite(
        key="sinpo-sea",
        name="Waters off Sinpo",
        lat_deg=39.95,
        lon_deg=128.35,
        approximate=True,
        source="offshore of the city; spec §2 says only 'off Sinpo'",
    ),
    LaunchSite(
        key="pyongsong",
        name="Pyongsong (South Pyongan)",
        lat_deg=39.25,
        lon_deg=125.87,
        approximate=True,
        source="town centre; spec §1 lists the site as [UNCONFIRMED]",
    ),
    LaunchSite(
        key="chagang",
        name="Chagang province (Mupyong-ri area)",
        lat_deg=40.6,
        lon_deg=126.4,
        approximate=True,
        aliases=("jagang", "mupyong-ri"),
        source="area centre; spec §1 lists the site as [UNCONFIRMED]",
    ),
    LaunchSite(
        key="hamhung",
        name="Hamhung area (South Hamgyong)",
        lat_deg=39.92,
        lon_deg=127.54,
        approximate=True,
        source="city centre; spec §1 lists the site as [UNCONFIRMED]",
    ),
)

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

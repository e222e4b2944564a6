"""The sensors of Japan, the ROK and the US at their public locations, with service dates.

Locations and dates come from spec/missile-scenario.md §3 where it gives them; everything
else (coordinates the spec marks [UNCONFIRMED], antenna heights, ship stations, beamwidths,
reaches the spec does not state, revisit intervals, masks) is an assumption argued in
docs/assumptions.md, and every radar whose position is not surveyed has ``approximate=True``.
Party codes are those of the agreement files: ``JPN``, ``KOR``, ``USA``.

The data is ``data/sensors.toml``: radar types (what every radar of a type shares, from which
the beamwidth is computed here), the radars, and the infrared early-warning systems.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from gsomia.errors import InputError
from gsomia.warning.scenario.data_files import build, check_unique, data_text, entries, fail, parse
from gsomia.warning.sensors.base import Sensor
from gsomia.warning.sensors.infrared import InfraredSatellite
from gsomia.warning.sensors.radar import Radar

__all__ = ["infrared_satellites", "parse_sensors", "radars", "sensors_in_service"]

_FILE = "sensors.toml"


@dataclass(frozen=True, slots=True, kw_only=True)
class _RadarType:
    """What every radar of one type shares (``[[radar_type]]`` in the data file)."""

    key: str
    kind: str
    party: str | None = None
    height_m: float | None = None
    reach_m: float
    elevation_mask_deg: float
    revisit_s: float
    wavelength_m: float
    aperture_m: float
    range_resolution_m: float
    range_floor_m: float | None = None
    angle_floor_rad: float | None = None
    bias_rad: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class _RadarEntry:
    """One radar of a type at its position (``[[radar]]`` in the data file)."""

    name: str
    type: str
    party: str | None = None
    lat_deg: float
    lon_deg: float
    height_m: float | None = None
    approximate: bool
    in_service: date
    out_of_service: date | None = None
    note: str = ""


def _beamwidth(wavelength_m: float, aperture_m: float) -> float:
    """Half-power beamwidth (rad) of a uniformly lit aperture: 0.886 lambda / D."""
    return 0.886 * wavelength_m / aperture_m


def _radar(r: _RadarEntry, types: Mapping[str, _RadarType], where: str, field: str) -> Radar:
    t = types.get(r.type)
    if t is None:
        known = ", ".join(sorted(types))
        raise fail(where, f"{field}.type", f"unknown radar type {r.type!r}; known: {known}")
    party = r.party or t.party
    height = r.height_m if r.height_m is not None else t.height_m
    if party is None or height is None:
        missing = "party" if party is None else "height_m"
        raise fail(where, f"{field}.{missing}", f"required: type {t.key!r} gives none")
    floors: dict[str, float] = {}
    if t.range_floor_m is not None:
        floors["range_floor_m"] = t.range_floor_m
    if t.angle_floor_rad is not None:
        floors["angle_floor_rad"] = t.angle_floor_rad
    if t.bias_rad is not None:
        floors["bias_rad"] = t.bias_rad
    try:
        return Radar(
            name=r.name,
            kind=t.kind,
            party=party,
            lat_deg=r.lat_deg,
            lon_deg=r.lon_deg,
            height_m=height,
            approximate=r.approximate,
            in_service=r.in_service,
            out_of_service=r.out_of_service,
            reach_m=t.reach_m,
            max_range_m=t.reach_m,
            elevation_mask_deg=t.elevation_mask_deg,
            revisit_s=t.revisit_s,
            beamwidth_rad=_beamwidth(t.wavelength_m, t.aperture_m),
            range_resolution_m=t.range_resolution_m,
            note=r.note,
            **floors,
        )
    except InputError as exc:
        raise fail(where, field, str(exc)) from None


def parse_sensors(
    text: str, where: str = _FILE
) -> tuple[tuple[Radar, ...], tuple[InfraredSatellite, ...]]:
    """The radars and infrared systems in the TOML ``text``; a bad entry raises naming the field."""
    raw = parse(text, where)
    tables = ("radar_type", "radar", "infrared")
    found = {t: entries(raw, t, where, also=tables) for t in tables}
    types = {
        t.key: t
        for t in (build(_RadarType, e, where=where, field=f) for f, e in found["radar_type"])
    }
    check_unique([(f"radar_type[{k}]", k) for k in types], where)
    radars = tuple(
        _radar(build(_RadarEntry, e, where=where, field=f), types, where, f)
        for f, e in found["radar"]
    )
    infrared = tuple(
        build(InfraredSatellite, e, where=where, field=f) for f, e in found["infrared"]
    )
    labels = [f for t in ("radar", "infrared") for f, _ in found[t]]
    names = [s.name for s in radars] + [s.name for s in infrared]
    check_unique(list(zip(labels, names, strict=True)), where)
    return radars, infrared


_RADARS, _INFRARED = parse_sensors(data_text(_FILE))


def radars() -> tuple[Radar, ...]:
    """Every radar in the catalogue, whatever its dates."""
    return _RADARS


def infrared_satellites() -> tuple[InfraredSatellite, ...]:
    """Every infrared early-warning system in the catalogue."""
    return _INFRARED


def sensors_in_service(
    on: date, *, parties: tuple[str, ...] | None = None
) -> dict[str, tuple[Sensor, ...]]:
    """Each party's sensors that existed on ``on``: ``{"JPN": (...), "KOR": (...), ...}``."""
    out: dict[str, list[Sensor]] = {}
    every: tuple[Sensor, ...] = (*_RADARS, *_INFRARED)
    for sensor in every:
        if sensor.in_service_on(on) and (parties is None or sensor.party in parties):
            out.setdefault(sensor.party, []).append(sensor)
    return {party: tuple(found) for party, found in sorted(out.items())}

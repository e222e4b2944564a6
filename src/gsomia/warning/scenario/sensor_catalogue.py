"""The sensors of Japan, the ROK and the US at their public locations, with service dates.

Locations and dates come from spec/missile-scenario.md §3 where it gives them; everything
else (coordinates the spec marks [UNCONFIRMED], antenna heights, ship stations, beamwidths,
reaches the spec does not state, revisit intervals, masks) is an assumption argued in
docs/assumptions.md, and every radar whose position is not surveyed has ``approximate=True``.
Party codes are those of the agreement files: ``JPN``, ``KOR``, ``USA``.
"""

from __future__ import annotations

from datetime import date

from gsomia.warning.sensors.base import Sensor
from gsomia.warning.sensors.infrared import InfraredSatellite
from gsomia.warning.sensors.radar import Radar

__all__ = ["infrared_satellites", "radars", "sensors_in_service"]

_S_BAND_M = 0.10
_X_BAND_M = 0.032
_L_BAND_M = 0.23
_BMD_MASK_DEG = 1.0


def _beamwidth(wavelength_m: float, aperture_m: float) -> float:
    """Half-power beamwidth (rad) of a uniformly lit aperture: 0.886 lambda / D."""
    return 0.886 * wavelength_m / aperture_m


def _fps5(name: str, at: tuple[float, float, float], since: date, note: str) -> Radar:
    lat, lon, height = at
    return Radar(
        name=name,
        kind="J/FPS-5",
        party="JPN",
        lat_deg=lat,
        lon_deg=lon,
        height_m=height,
        approximate=True,
        in_service=since,
        reach_m=2.0e6,
        max_range_m=2.0e6,
        elevation_mask_deg=_BMD_MASK_DEG,
        revisit_s=2.0,
        beamwidth_rad=_beamwidth(_S_BAND_M, 18.0),
        range_resolution_m=30.0,
        note=note,
    )


def _aegis(name: str, party: str, at: tuple[float, float], since: date, note: str) -> Radar:
    lat, lon = at
    return Radar(
        name=name,
        kind="AN/SPY-1D",
        party=party,
        lat_deg=lat,
        lon_deg=lon,
        height_m=20.0,
        approximate=True,
        in_service=since,
        reach_m=1.0e6,
        max_range_m=1.0e6,
        elevation_mask_deg=_BMD_MASK_DEG,
        revisit_s=2.0,
        beamwidth_rad=_beamwidth(_S_BAND_M, 3.65),
        range_resolution_m=30.0,
        note=note,
    )


def _green_pine(name: str, at: tuple[float, float, float], since: date, note: str) -> Radar:
    lat, lon, height = at
    return Radar(
        name=name,
        kind="EL/M-2080 Green Pine",
        party="KOR",
        lat_deg=lat,
        lon_deg=lon,
        height_m=height,
        approximate=True,
        in_service=since,
        reach_m=8.0e5,
        max_range_m=8.0e5,
        elevation_mask_deg=_BMD_MASK_DEG,
        revisit_s=4.0,
        beamwidth_rad=_beamwidth(_L_BAND_M, 9.0),
        range_resolution_m=50.0,
        note=note,
    )


def _tpy2(
    name: str, at: tuple[float, float, float], since: date, *, terminal: bool, note: str
) -> Radar:
    lat, lon, height = at
    reach = 6.0e5 if terminal else 2.0e6
    return Radar(
        name=name,
        kind="AN/TPY-2 " + ("terminal mode" if terminal else "forward-based mode"),
        party="USA",
        lat_deg=lat,
        lon_deg=lon,
        height_m=height,
        approximate=True,
        in_service=since,
        reach_m=reach,
        max_range_m=reach,
        elevation_mask_deg=5.0 if terminal else _BMD_MASK_DEG,
        revisit_s=1.0,
        beamwidth_rad=_beamwidth(_X_BAND_M, 3.0),
        range_resolution_m=1.0,
        range_floor_m=2.0,
        angle_floor_rad=1e-4,
        note=note,
    )


_RADARS: tuple[Radar, ...] = (
    _fps5(
        "FPS-5 Shimokoshiki",
        (31.6, 129.7, 400.0),
        date(2009, 3, 31),
        "first FPS-5, installed FY2008; summit about 400 m (spec)",
    ),
    _fps5(
        "FPS-5 Sado",
        (38.1, 138.4, 1000.0),
        date(2010, 3, 31),
        "mountain-top site; height and date assumed (spec: installed after FY2008)",
    ),
    _fps5(
        "FPS-5 Ominato",
        (41.3, 141.1, 880.0),
        date(2011, 3, 31),
        "mountain-top site; height and date assumed (spec: installed after FY2008)",
    ),
    _fps5(
        "FPS-5 Yozadake",
        (26.1, 127.7, 200.0),
        date(2013, 3, 31),
        "completed by the end of FY2012 (spec); 168 m summit plus the 35 m structure",
    ),
    _aegis(
        "JMSDF Aegis, Sea of Japan station",
        "JPN",
        (38.0, 136.0),
        date(2008, 1, 1),
        "station assumed about 150 km NW of the Noto Peninsula, covering Honshu",
    ),
    _aegis(
        "JMSDF Aegis, second Sea of Japan station",
        "JPN",
        (40.0, 137.5),
        date(2022, 11, 21),
        "second ship on station assumed once the fleet reached 8 (spec: 21 Nov 2022)",
    ),
    _aegis(
        "ROK Aegis, East Sea station",
        "KOR",
        (37.6, 130.0),
        date(2008, 12, 22),
        "Sejong the Great commissioned 22 Dec 2008 (spec); station assumed off Donghae",
    ),
    _green_pine(
        "Green Pine, North Chungcheong",
        (36.8, 127.7, 150.0),
        date(2012, 1, 1),
        "two units since 2012 (spec); site and month assumed",
    ),
    _green_pine(
        "Green Pine, South Chungcheong",
        (36.5, 126.8, 150.0),
        date(2012, 1, 1),
        "two units since 2012 (spec); site and month assumed",
    ),
    _green_pine(
        "Green Pine Block C, Busan",
        (35.2, 129.1, 200.0),
        date(2022, 10, 1),
        "fully operational October 2022, about 800 km (spec); site assumed",
    ),
    _tpy2(
        "TPY-2 Shariki",
        (40.9, 140.3, 20.0),
        date(2006, 10, 1),
        terminal=False,
        note="delivered 2006 (spec); month assumed; Tsugaru, Aomori",
    ),
    _tpy2(
        "TPY-2 Kyogamisaki",
        (35.77, 135.22, 100.0),
        date(2014, 12, 26),
        terminal=False,
        note="delivered 26 Dec 2014 (spec); Kyotango, Kyoto",
    ),
    _tpy2(
        "TPY-2 Seongju (THAAD)",
        (36.0, 128.2, 680.0),
        date(2017, 5, 1),
        terminal=True,
        note="680 m above sea level, elevation above 5 degrees (spec); installed 2017",
    ),
)

_INFRARED: tuple[InfraredSatellite, ...] = (
    InfraredSatellite(
        name="US space-based infrared early warning",
        party="USA",
        in_service=date(1970, 11, 6),
        delay_s=60.0,
        delay_sigma_s=10.0,
        position_sigma_m=5000.0,
        azimuth_sigma_deg=5.0,
        note="DSP from 6 Nov 1970, SBIRS GEO from 2011; cue about 1 min after launch (2012)",
    ),
)


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

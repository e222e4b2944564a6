"""The sensors a launch is seen by, under the stated sensor assumptions.

The catalogue (:mod:`gsomia.warning.scenario.sensor_catalogue`) gives every radar at one point of
its public range, always on. Where the public record gives a range or an outage history
instead, the analysis states an assumption (:class:`~gsomia.analysis.assumptions.
SensorAssumptions`, sources in docs/assumptions.md §4a) and this module applies it:

* the seven J/FPS-3 Kai sites upgraded for missile defence join Japan's FPS-5s;
* the two 2012 Green Pine Block B units get the stated reach, and with alternate
  operation only one of them is up in a run (chosen by the run's draw), each down with
  the stated outage probability;
* the number of JMSDF Aegis ships on station may be set (0–3, at assumed stations);
* the satellite cue misses a launch with a short boost with the stated probability;
* a US radar's reports reach only the ally whose soil it stands on (``host``), or both.

Draws come from their own generators seeded by (seed, launch, run, purpose), so every
regime of a run sees the same sensors up (common random numbers).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from gsomia.analysis.assumptions import SensorAssumptions
from gsomia.analysis.geography import region_map
from gsomia.warning.scenario.sensor_catalogue import sensors_in_service
from gsomia.warning.sensors.base import Sensor
from gsomia.warning.sensors.radar import Radar

__all__ = [
    "FPS3_KAI_SITES",
    "AssumedAvailability",
    "cue_missed",
    "host_of",
    "sensors_on",
    "up_in_run",
]


FPS3_KAI_SITES: tuple[tuple[str, float, float, float, str], ...] = (
    ("FPS-3 Kai Kamo", 39.87, 139.74, 300.0, "named (Defense News via Pacific Sentinel 2017)"),
    ("FPS-3 Kai Unishima", 34.67, 129.45, 250.0, "Tsushima; named (same source)"),
    ("FPS-3 Kai Fukue", 32.70, 128.74, 300.0, "Goto Islands; named (same source)"),
    ("FPS-3 Kai Kyogamisaki", 35.76, 135.20, 200.0, "site assumed (ASDF Kyogamisaki)"),
    ("FPS-3 Kai Seburiyama", 33.43, 130.37, 1000.0, "site assumed (ASDF Seburiyama)"),
    ("FPS-3 Kai Otakineyama", 37.35, 140.70, 1000.0, "site assumed (ASDF Otakineyama)"),
    ("FPS-3 Kai Wajima", 37.40, 136.90, 400.0, "site assumed (ASDF Wajima)"),
)
"""(name, lat, lon, height m, basis): seven sites were upgraded for BMD (Minami-Nippon
Shimbun 2005); four are named in public reporting, three are assumed among ASDF sites."""

_FPS3_KAI_SINCE = date(2009, 3, 31)
"""Upgrades from FY2005 (Minami-Nippon Shimbun 2005); in service by FY2008 [assumed]."""
_EXTRA_AEGIS_STATION = (36.5, 133.5)
"""A third JMSDF station [assumed]: north of the Oki Islands, covering western Honshu."""
_GREEN_PINE_B = ("Green Pine, North Chungcheong", "Green Pine, South Chungcheong")


def _fps3_kai(reach_m: float, template: Radar) -> tuple[Radar, ...]:
    """The FPS-3 Kai sites: an FPS-5's S-band model with a 4.4 m-class face and the reach."""
    return tuple(
        replace(
            template,
            name=name,
            kind="J/FPS-3 Kai",
            lat_deg=lat,
            lon_deg=lon,
            height_m=height,
            in_service=_FPS3_KAI_SINCE,
            reach_m=reach_m,
            max_range_m=reach_m,
            revisit_s=4.0,
            beamwidth_rad=template.beamwidth_rad * 2.0,
            note=basis,
        )
        for name, lat, lon, height, basis in FPS3_KAI_SITES
    )


def _jmsdf_aegis(found: list[Sensor], ships: int, day: date) -> list[Sensor]:
    """Japan's sensors with exactly ``ships`` Aegis ships on station."""
    catalogue = [s for s in _every(day) if isinstance(s, Radar) and s.kind == "AN/SPY-1D"]
    jmsdf = [r for r in catalogue if r.party == "JPN"]
    if not jmsdf:
        return found
    stations = [(r.lat_deg, r.lon_deg) for r in jmsdf] + [_EXTRA_AEGIS_STATION]
    rest = [s for s in found if not (isinstance(s, Radar) and s.kind == "AN/SPY-1D")]
    ships_on = [
        replace(jmsdf[0], name=f"JMSDF Aegis, station {i + 1}", lat_deg=lat, lon_deg=lon)
        for i, (lat, lon) in enumerate(stations[:ships])
    ]
    return rest + ships_on


def _every(_day: date) -> list[Sensor]:
    """Every catalogue sensor, whatever its dates (for templates and stations)."""
    return [s for group in sensors_in_service(date(2100, 1, 1)).values() for s in group]


def sensors_on(day: date, a: SensorAssumptions) -> dict[str, tuple[Sensor, ...]]:
    """Each party's sensors in service on ``day`` under the sensor assumptions (before
    the per-run draws of :func:`up_in_run`)."""
    out = {party: list(found) for party, found in sensors_in_service(day).items()}
    japan = out.setdefault("JPN", [])
    template = next(s for s in _every(day) if isinstance(s, Radar) and s.kind == "J/FPS-5")
    if a.fps3_kai and day >= _FPS3_KAI_SINCE:
        japan.extend(_fps3_kai(a.fps3_kai_reach_km * 1e3, template))
    if a.jpn_aegis_ships is not None:
        out["JPN"] = _jmsdf_aegis(japan, a.jpn_aegis_ships, day)
    reach = a.green_pine_reach_km * 1e3
    out["KOR"] = [
        replace(s, reach_m=reach, max_range_m=reach)
        if isinstance(s, Radar) and s.name in _GREEN_PINE_B
        else s
        for s in out.get("KOR", [])
    ]
    return {party: tuple(found) for party, found in sorted(out.items()) if found}


def _rng(seed: int, launch: str, run: int, purpose: str) -> np.random.Generator:
    return np.random.default_rng(
        [seed, zlib.crc32(launch.encode()), run, zlib.crc32(purpose.encode())]
    )


def up_in_run(
    sensors: Mapping[str, tuple[Sensor, ...]],
    a: SensorAssumptions,
    *,
    seed: int,
    launch: str,
    run: int,
) -> dict[str, tuple[Sensor, ...]]:
    """The sensors up in run ``run``: Green Pine Block B alternation and outages drawn."""
    rng = _rng(seed, launch, run, "availability")
    duty = int(rng.integers(0, 2))
    down = rng.random(len(_GREEN_PINE_B)) < a.green_pine_outage
    out: dict[str, tuple[Sensor, ...]] = {}
    for party, found in sensors.items():
        kept = []
        for s in found:
            if s.name in _GREEN_PINE_B:
                i = _GREEN_PINE_B.index(s.name)
                if down[i] or (a.green_pine_alternate and i != duty):
                    continue
            kept.append(s)
        out[party] = tuple(kept)
    return out


def cue_missed(
    burn_s: float, a: SensorAssumptions, *, seed: int, launch: str, run: int, index: int
) -> bool:
    """Whether the satellite cue misses round ``index`` (a boost under the threshold)."""
    if burn_s >= a.cue_short_burn_s or a.cue_miss_probability <= 0.0:
        return False
    rng = _rng(seed, launch, run, f"cue-miss-{index}")
    return bool(rng.random() < a.cue_miss_probability)


def host_of(radar: Radar) -> str | None:
    """The ally whose soil a radar stands on (``JPN``, ``KOR``), or ``None`` (at sea)."""
    regions = region_map()
    for country in ("JPN", "KOR"):
        inside = regions.inside(country, np.array([radar.lat_deg]), np.array([radar.lon_deg]))
        if bool(inside[0]):
            return country
    return None


@dataclass(frozen=True, slots=True)
class AssumedAvailability:
    """The sensor assumptions' per-run draws as the simulated world's
    :class:`~gsomia.warning.simulation.world.Availability`."""

    assumptions: SensorAssumptions

    def up(
        self, sensors: Mapping[str, tuple[Sensor, ...]], *, seed: int, launch: str, run: int
    ) -> Mapping[str, tuple[Sensor, ...]]:
        return up_in_run(sensors, self.assumptions, seed=seed, launch=launch, run=run)

    def cue_missed(self, boost_s: float, *, seed: int, launch: str, run: int, index: int) -> bool:
        return cue_missed(boost_s, self.assumptions, seed=seed, launch=launch, run=run, index=index)

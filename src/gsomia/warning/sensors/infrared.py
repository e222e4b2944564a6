"""Infrared early-warning satellites that observe the truth.

An :class:`InfraredSatellite` reports each launch as a :class:`LaunchCue` after a delay, with
a noisy launch point and heading. The parameters are assumptions (docs/assumptions.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from gsomia.warning.physics.truth import Truth
from gsomia.warning.sensors.measurements import LaunchCue

__all__ = ["InfraredSatellite"]


@dataclass(frozen=True, slots=True, kw_only=True)
class InfraredSatellite:
    """A space-based infrared early-warning system giving a launch cue after ``delay_s``.

    The cue's launch point is off by a normal error of ``position_sigma_m`` per axis and its
    heading by ``azimuth_sigma_deg``; the delay jitters by ``delay_sigma_s``.
    """

    name: str
    party: str
    in_service: date
    out_of_service: date | None = None
    delay_s: float
    delay_sigma_s: float
    position_sigma_m: float
    azimuth_sigma_deg: float
    note: str = ""

    def in_service_on(self, day: date) -> bool:
        """Whether the system exists on ``day``."""
        ended = self.out_of_service is not None and day >= self.out_of_service
        return self.in_service <= day and not ended

    def observe(self, truth: Truth, rng: np.random.Generator) -> list[LaunchCue]:
        """One cue per launch, in time order; deterministic for a given generator state."""
        cues = []
        for launch in truth.launches:
            delay = max(5.0, self.delay_s + self.delay_sigma_s * float(rng.standard_normal()))
            de, dn = self.position_sigma_m * rng.standard_normal(2)
            lat = launch.launch_lat_deg + math.degrees(dn / 6_371_000.0)
            coslat = math.cos(math.radians(launch.launch_lat_deg))
            lon = launch.launch_lon_deg + math.degrees(de / (6_371_000.0 * coslat))
            heading = _heading(
                launch.launch_lat_deg,
                launch.launch_lon_deg,
                launch.impact_lat_deg,
                launch.impact_lon_deg,
            )
            heading += self.azimuth_sigma_deg * float(rng.standard_normal())
            cues.append(
                LaunchCue(
                    sensor=self.name,
                    party=self.party,
                    t=launch.launch_time_s + delay,
                    launch_t=launch.launch_time_s,
                    lat_deg=lat,
                    lon_deg=lon,
                    position_sigma_m=self.position_sigma_m,
                    azimuth_deg=heading % 360.0,
                    truth_id=launch.payload_id,
                )
            )
        return sorted(cues, key=lambda c: c.t)


def _heading(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0

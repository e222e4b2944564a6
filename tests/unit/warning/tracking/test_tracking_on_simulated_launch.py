"""End to end on the scenario simulator: a dated launch, the catalogue's sensors, the tracker.

The truth, the radars' reports and the satellite cue come from the rest of
``gsomia.warning`` (truth, sensors, catalogue), not from the tracker's own synthetic module.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from gsomia.warning.geo.frames import enu_rotation, geodetic_to_ecef, ground_range
from gsomia.warning.physics import truth
from gsomia.warning.scenario import launches, sensor_catalogue
from gsomia.warning.sensors.measurements import LaunchCue, RadarReport
from gsomia.warning.sensors.radar import Radar
from gsomia.warning.tracking import CoastMotion, ImpactPredictor, boost_coast_tracker
from gsomia.warning.tracking import picture_from_tracks as picture


@pytest.mark.slow
def test_a_dated_irbm_launch_is_warned_with_its_impact_point() -> None:
    """Hwasong-12 of 29 Aug 2017 seen by every party's sensors: by 300 s after launch the
    cued track's impact point is within 2 km of the truth and inside its 95 % ellipse."""
    key = "2017-08-29"
    world = truth.simulate(launches.launch_scenario(launches.dated_launch(key)), dt=1.0)
    rng = np.random.default_rng(1)
    reports: list[RadarReport] = []
    cues: list[LaunchCue] = []
    for sensors in sensor_catalogue.sensors_in_service(date.fromisoformat(key)).values():
        for sensor in sensors:
            if isinstance(sensor, Radar):
                reports += sensor.observe(world, rng)
            else:
                cues += sensor.observe(world, rng)
    assert reports and cues
    tracker = boost_coast_tracker()
    tracks = tracker.empty()
    for t in world.t[world.t <= 300.0]:
        new = [r for r in reports if t - 1.0 < r.t <= t]
        tracks = tracker.step(
            tracks, now=float(t), reports=new, cues=[c for c in cues if t - 1.0 < c.t <= t]
        )
    view = picture(
        tracks, tracker=tracker, party="JPN", t=300.0, impact=ImpactPredictor(motion=CoastMotion())
    )
    cued = [track for track in view.tracks if track.launch_method == "cue"]
    assert len(cued) == 1
    (track,) = cued
    assert track.impact is not None
    launch = world.launches[0]
    miss = float(
        ground_range(
            track.impact.lat_deg, track.impact.lon_deg, launch.impact_lat_deg, launch.impact_lon_deg
        )
    )
    assert miss < 2000.0
    origin = geodetic_to_ecef(track.impact.lat_deg, track.impact.lon_deg, 0.0)
    rotation = enu_rotation(track.impact.lat_deg, track.impact.lon_deg)
    true_point = geodetic_to_ecef(launch.impact_lat_deg, launch.impact_lon_deg, 0.0)
    offset = (rotation @ (true_point - origin))[:2]
    d2 = float(offset @ np.linalg.solve(track.impact.cov_array(), offset))
    assert d2 <= -2.0 * np.log(1.0 - track.impact.confidence)
    assert track.time_to_impact_s == pytest.approx(launch.impact_time_s - 300.0, abs=30.0)

"""The ``Sensor`` role: every sensor in the catalogue keeps the Protocol's contract."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from gsomia.warning.physics.truth import Truth
from gsomia.warning.scenario.sensor_catalogue import infrared_satellites, radars, sensors_in_service
from gsomia.warning.sensors.base import Sensor
from gsomia.warning.sensors.measurements import LaunchCue, RadarReport

DAY = date(2019, 5, 9)

# One of each kind, both in service on the day of the launch they observe. The type checker
# holds each kind to the Protocol's signatures (the catalogue types its sensors as Sensor);
# these tests hold them to its MUSTs.
KINDS: tuple[Sensor, ...] = (
    next(r for r in radars() if r.party == "KOR" and r.in_service_on(DAY)),
    next(s for s in infrared_satellites() if s.in_service_on(DAY)),
)


def _every_sensor_on(day: date) -> list[Sensor]:
    return [s for group in sensors_in_service(day).values() for s in group]


@pytest.mark.parametrize("sensor", KINDS, ids=lambda s: type(s).__name__)
def test_observe_is_in_time_order_and_deterministic(sensor: Sensor, kn23_2019_truth: Truth) -> None:
    first = sensor.observe(kn23_2019_truth, np.random.default_rng(7))
    again = sensor.observe(kn23_2019_truth, np.random.default_rng(7))
    times = [r.t for r in first]
    assert times
    assert times == sorted(times)
    assert times == [r.t for r in again]
    assert all(isinstance(r, RadarReport | LaunchCue) for r in first)
    assert all(r.sensor == sensor.name and r.party == sensor.party for r in first)


def test_every_sensor_in_service_is_one_the_role_describes() -> None:
    sensors = _every_sensor_on(DAY)
    assert {type(s).__name__ for s in sensors} == {"Radar", "InfraredSatellite"}
    for s in sensors:
        assert s.in_service_on(DAY)
        assert s.in_service <= DAY
        assert s.party in {"JPN", "KOR", "USA"}

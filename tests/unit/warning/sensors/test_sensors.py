"""Sensors: service dates, the 2019 low-trajectory case, launch cues and determinism."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from gsomia.warning.physics.truth import Truth
from gsomia.warning.scenario.sensor_catalogue import infrared_satellites, radars, sensors_in_service
from gsomia.warning.sensors.measurements import radar_h
from gsomia.warning.sensors.radar import Radar, swerling1_pd

# Fewer detections than this from one sensor, on one missile, cannot start a track under any
# reasonable M-of-N rule at these revisit intervals (docs/assumptions.md).
TRACK_MINIMUM = 10


def _radars(on: date, party: str) -> list[Radar]:
    return [s for s in sensors_in_service(on).get(party, ()) if isinstance(s, Radar)]


def _by_name(name: str) -> Radar:
    return next(r for r in radars() if r.name == name)


def test_sensors_follow_their_service_dates() -> None:
    def names(on: date) -> set[str]:
        return {s.name for group in sensors_in_service(on).values() for s in group}

    assert "TPY-2 Kyogamisaki" not in names(date(2014, 12, 25))
    assert "TPY-2 Kyogamisaki" in names(date(2014, 12, 26))
    assert "TPY-2 Seongju (THAAD)" not in names(date(2016, 12, 31))
    assert "TPY-2 Seongju (THAAD)" in names(date(2019, 7, 25))
    assert "Green Pine Block C, Busan" not in names(date(2022, 9, 30))
    assert "Green Pine Block C, Busan" in names(date(2022, 10, 19))
    assert set(sensors_in_service(date(2019, 5, 9))) == {"JPN", "KOR", "USA"}
    assert set(sensors_in_service(date(2019, 5, 9), parties=("KOR",))) == {"KOR"}


def test_seongju_has_the_published_elevation_mask() -> None:
    seongju = _by_name("TPY-2 Seongju (THAAD)")
    assert seongju.elevation_mask_deg == 5.0
    assert seongju.height_m == 680.0


def test_2019_low_kn23_is_missed_by_japan_and_tracked_by_the_rok(kn23_2019_truth: Truth) -> None:
    truth = kn23_2019_truth
    assert all(launch.apogee_m < 60_000.0 for launch in truth.launches)
    day = date(2019, 5, 9)
    rng = np.random.default_rng(20190509)
    for launch in truth.launches:
        i = launch.payload_id
        japan = [int(r.looks(truth, rng).detected[i].sum()) for r in _radars(day, "JPN")]
        korea = [int(r.looks(truth, rng).detected[i].sum()) for r in _radars(day, "KOR")]
        assert max(japan) < TRACK_MINIMUM, japan
        assert sum(1 for n in korea if n >= 3 * TRACK_MINIMUM) >= 2, korea


def test_japanese_radars_see_a_lofted_pks3(pks3_truth: Truth) -> None:
    rng = np.random.default_rng(3)
    japan = _radars(date(2019, 10, 2), "JPN")
    payload = pks3_truth.launches[0].payload_id
    assert all(r.looks(pks3_truth, rng).detected[payload].sum() > 50 for r in japan)


def test_same_seed_gives_identical_reports(kn23_2019_truth: Truth) -> None:
    radar = _by_name("ROK Aegis, East Sea station")
    a = radar.observe(kn23_2019_truth, np.random.default_rng(42))
    b = radar.observe(kn23_2019_truth, np.random.default_rng(42))
    c = radar.observe(kn23_2019_truth, np.random.default_rng(43))
    assert len(a) > 50
    assert [(r.t, r.truth_id) for r in a] == [(r.t, r.truth_id) for r in b]
    assert all(
        np.array_equal(x.z, y.z) and np.array_equal(x.R, y.R) for x, y in zip(a, b, strict=True)
    )
    assert [r.z.tolist() for r in a] != [r.z.tolist() for r in c]
    sat = infrared_satellites()[0]
    assert sat.observe(kn23_2019_truth, np.random.default_rng(1)) == sat.observe(
        kn23_2019_truth, np.random.default_rng(1)
    )


def test_reports_are_truth_plus_noise_of_the_stated_covariance(kn23_2019_truth: Truth) -> None:
    radar = _by_name("Green Pine, North Chungcheong")
    reports = radar.observe(kn23_2019_truth, np.random.default_rng(5))
    errors = []
    for r in reports:
        state = kn23_2019_truth.object(r.truth_id).states_at(np.array([r.t]))[0]
        truth_z = radar_h(state, r.site.ecef, r.site.enu_rotation)
        d = r.z - truth_z
        d[1] = (d[1] + np.pi) % (2 * np.pi) - np.pi
        errors.append(d / np.sqrt(np.diag(r.R)))
        assert r.party == "KOR"
        assert r.t == sorted(x.t for x in reports)[reports.index(r)]
    normalised = np.array(errors)
    assert normalised.shape[0] > 50
    assert np.allclose(normalised.std(axis=0), 1.0, atol=0.25)
    assert np.allclose(normalised.mean(axis=0), 0.0, atol=0.3)


def test_detection_probability_falls_with_range() -> None:
    pd = swerling1_pd(np.array([100.0, 20.0, 5.0, 1.0]), 1e-6)
    assert np.all(np.diff(pd) < 0)
    assert pd[0] > 0.85
    assert pd[-1] < 0.01


def test_infrared_cue_arrives_after_its_delay(kn23_2019_truth: Truth) -> None:
    sat = infrared_satellites()[0]
    cues = sat.observe(kn23_2019_truth, np.random.default_rng(9))
    assert len(cues) == len(kn23_2019_truth.launches)
    for cue, launch in zip(cues, kn23_2019_truth.launches, strict=True):
        assert cue.party == "USA"
        assert cue.launch_t == launch.launch_time_s
        assert 20.0 < cue.t - launch.launch_time_s < 120.0
        assert cue.lat_deg == pytest.approx(launch.launch_lat_deg, abs=0.3)

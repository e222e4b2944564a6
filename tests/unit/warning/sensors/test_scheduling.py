"""The look scheduler rations looks by the tracks it knows, never by the truth."""

from __future__ import annotations

import numpy as np
import pytest

from gsomia.warning.sensors.measurements import RadarReport, SensorSite
from gsomia.warning.sensors.scheduling import KnownTracks, LookGeometry, LookScheduler, Mode

SITE = SensorSite(ecef=np.array([6_378_137.0, 0.0, 0.0]), enu_rotation=np.eye(3))


def report(sensor: str, t: float, range_m: float, sigma_m: float = 100.0) -> RadarReport:
    """A report due north of the site, level: at ``SITE.ecef + (0, range_m, 0)``."""
    r = np.diag([sigma_m**2, 1e-6, 1e-6])
    return RadarReport(
        sensor=sensor, party="JPN", t=t, z=np.array([range_m, 0.0, 0.0]), R=r, site=SITE
    )


def known(
    *, powered: float = 0.0, velocity_sigma: float = 1.0, position_sigma: float = 100.0
) -> KnownTracks:
    """One track 100 km north of the site, standing still."""
    return KnownTracks(
        track_id=np.array([7], dtype=np.int64),
        position=(SITE.ecef + np.array([0.0, 100_000.0, 0.0]))[None],
        velocity=np.zeros((1, 3)),
        t=np.zeros(1),
        position_sigma=np.array([position_sigma]),
        velocity_sigma=np.array([velocity_sigma]),
        powered=np.array([powered]),
    )


def scheduler() -> LookScheduler:
    return LookScheduler(dense_s=1.0, boost_s=2.0, update_s=10.0, settle_sigma_ms=50.0)


def test_with_no_known_track_every_look_acquires() -> None:
    reports = [report("B", 2.0, 100_000.0), report("A", 1.0, 100_000.0)]
    s = scheduler()
    assert s.owners(reports, KnownTracks.none()) == [(-1, Mode.ACQUIRE)] * 2
    assert s.select(reports, KnownTracks.none()) == sorted(reports, key=lambda r: r.t)


def test_a_tracks_interval_keeps_its_most_precise_look_and_every_acquisition() -> None:
    s = scheduler()
    coarse, fine = report("A", 1.0, 100_500.0, 500.0), report("B", 1.0, 99_800.0, 50.0)
    far = report("C", 1.0, 400_000.0)
    assert s.select([coarse, far, fine], known()) == [fine, far]
    # The same interval again: the track's look is spent; the next interval has one more.
    assert s.select([report("A", 5.0, 100_000.0)], known()) == []
    later = report("A", 11.0, 100_000.0)
    assert s.select([later], known()) == [later]


@pytest.mark.parametrize(
    ("powered", "velocity_sigma", "mode"),
    [
        (0.99, 1.0, Mode.BOOST),
        (0.5, 1.0, Mode.SETTLE),
        (0.0, 80.0, Mode.SETTLE),
        (0.0, 1.0, Mode.MAINTAIN),
    ],
)
def test_a_tracks_mode_follows_its_powered_probability_and_velocity_sigma(
    powered: float, velocity_sigma: float, mode: Mode
) -> None:
    track = known(powered=powered, velocity_sigma=velocity_sigma)
    assert scheduler().owners([report("A", 1.0, 100_000.0)], track) == [(7, mode)]


def test_a_look_is_near_within_three_position_sigmas_or_near_m() -> None:
    look = [report("A", 1.0, 125_000.0)]  # 25 km from the track
    assert scheduler().owners(look, known(position_sigma=100.0)) == [(-1, Mode.ACQUIRE)]
    assert scheduler().owners(look, known(position_sigma=9_000.0)) == [(7, Mode.MAINTAIN)]


def test_schedulers_sharing_the_reports_geometry_choose_as_each_alone() -> None:
    reports = [
        report("A", 1.0, 100_500.0, 500.0),
        report("B", 1.0, 99_800.0, 50.0),
        report("C", 1.0, 400_000.0),
    ]
    geometry = LookGeometry()
    first = LookScheduler(
        dense_s=1.0, boost_s=2.0, update_s=10.0, settle_sigma_ms=50.0, geometry=geometry
    )
    second = LookScheduler(
        dense_s=1.0, boost_s=2.0, update_s=10.0, settle_sigma_ms=50.0, geometry=geometry
    )
    alone = scheduler().select(reports, known())
    assert first.select(reports, known()) == alone
    assert second.select(reports, known()) == alone
    position, volume = geometry.of(reports[0])
    np.testing.assert_allclose(position, SITE.ecef + np.array([0.0, 100_500.0, 0.0]))
    assert volume == pytest.approx(500.0 * 1e-3 * 1e-3 * 100_500.0**2)

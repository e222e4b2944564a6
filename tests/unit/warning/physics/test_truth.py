"""Truth simulation: objects, phases, stage separation and salvos."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from gsomia.errors import InputError, UnknownName
from gsomia.warning.geo.frames import ecef_to_geodetic, ground_range
from gsomia.warning.physics.flight import Programme
from gsomia.warning.physics.truth import (
    LaunchPlan,
    ObjectKind,
    Phase,
    Scenario,
    Truth,
    TruthObject,
    simulate,
)
from gsomia.warning.scenario.launches import dated_launch, launch_scenario
from gsomia.warning.scenario.missiles import missile_class


def _landing(obj: TruthObject) -> tuple[float, float]:
    lat, lon, _ = ecef_to_geodetic(obj.arc.y[-1, :3])
    return float(lat), float(lon)


def test_pks3_stages_separate_into_objects_that_land_apart(pks3_truth: Truth) -> None:
    # Japan first counted two missiles on 2 Oct 2019 (spec §2): the spent stages are objects.
    kinds = [o.kind for o in pks3_truth.objects]
    assert kinds == [ObjectKind.WARHEAD, ObjectKind.STAGE, ObjectKind.STAGE]
    warhead, first, second = pks3_truth.objects
    launch = pks3_truth.launches[0]
    assert first.end_s < 0.6 * warhead.end_s
    assert ground_range(launch.launch_lat_deg, launch.launch_lon_deg, *_landing(first)) < 150e3
    assert ground_range(*_landing(warhead), *_landing(second)) < 50e3
    assert second.end_s > warhead.end_s  # a tumbling empty stage falls slowly
    assert launch.missile == "pukguksong-3"


def test_phases_run_boost_coast_reentry(pks3_truth: Truth) -> None:
    phases = pks3_truth.phases[0]
    present = phases[phases != Phase.ABSENT]
    changes = [int(p) for i, p in enumerate(present) if i == 0 or p != present[i - 1]]
    assert changes == [Phase.BOOST, Phase.COAST, Phase.REENTRY]
    assert not np.any(pks3_truth.phases[1:] == Phase.BOOST)


def test_states_are_nan_outside_flight_and_land_on_the_ground(pks3_truth: Truth) -> None:
    for k, obj in enumerate(pks3_truth.objects):
        present = ~np.isnan(pks3_truth.states[k, :, 0])
        assert present.any()
        assert not present[-1] or obj.end_s >= pks3_truth.t[-1] - 1e-6
        _, _, h = ecef_to_geodetic(obj.arc.y[-1, :3])
        assert abs(float(h)) < 1.0
    with pytest.raises(ValueError, match="read-only"):
        pks3_truth.states[0, 0, 0] = 0.0
    with pytest.raises(UnknownName):
        pks3_truth.object(99)


def test_kn23_glides_and_salvo_rounds_start_at_their_offsets(kn23_2019_truth: Truth) -> None:
    assert [o.kind for o in kn23_2019_truth.objects] == [ObjectKind.MISSILE] * 2
    assert kn23_2019_truth.objects[1].start_s == pytest.approx(600.0)
    assert np.any(kn23_2019_truth.phases[0] == Phase.GLIDE)
    first = kn23_2019_truth.launches[0]
    assert first.range_m / 1e3 == pytest.approx(420.0, rel=0.01)


def test_a_lofted_hwasong_15_is_simulated_to_its_impact() -> None:
    m = missile_class("hwasong-15")
    plan = LaunchPlan(
        label="t",
        missile=m,
        lat_deg=39.2,
        lon_deg=125.7,
        programme=Programme(azimuth_deg=77.0, pitch_deg=13.5, cutoff_s=290.0),
    )
    scenario = Scenario(
        name="timing", epoch=datetime(2017, 11, 28, 18, 18, tzinfo=UTC), launches=(plan,)
    )
    truth = simulate(scenario, dt=1.0)
    # A steep ICBM-class flight lasts tens of minutes (the lofted 2017-11-29 one, about 53).
    assert 2000.0 < truth.launches[0].flight_time_s < 4000.0


def test_scenarios_need_an_aware_epoch_and_a_launch() -> None:
    plan = launch_scenario(dated_launch("2019-10-02")).launches[0]
    with pytest.raises(InputError):
        Scenario(name="x", epoch=datetime(2019, 10, 2), launches=(plan,))
    with pytest.raises(InputError):
        Scenario(name="x", epoch=datetime(2019, 10, 2, tzinfo=UTC), launches=())
    with pytest.raises(InputError):
        simulate(
            Scenario(name="x", epoch=datetime(2019, 10, 2, tzinfo=UTC), launches=(plan,)), dt=0.0
        )


def test_dated_epochs_are_utc_of_the_local_launch_time() -> None:
    assert dated_launch("2022-11-18").epoch == datetime(2022, 11, 18, 1, 15, tzinfo=UTC)

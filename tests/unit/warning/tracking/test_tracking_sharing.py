"""The shared warning: RT-1 fields only, nothing about sensors (RT-3), a versioned wire form."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from gsomia.errors import InputError
from gsomia.warning.tracking import (
    WARNING_FORMAT,
    GroundEstimate,
    PictureTrack,
    SharedWarning,
    share_warning,
)
from gsomia.warning.tracking.sharing import conceal_covariance


def _track() -> PictureTrack:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((6, 6))
    point = GroundEstimate(
        t=412.5, t_sigma_s=1.5, lat_deg=38.4, lon_deg=132.4, enu_cov=((9e4, 1e4), (1e4, 4e4))
    )
    launch = GroundEstimate(
        t=0.0, t_sigma_s=2.0, lat_deg=39.22, lon_deg=125.67, enu_cov=((4e6, 0.0), (0.0, 4e6))
    )
    return PictureTrack(
        track_id="ROK-7",
        t=120.0,
        state=np.arange(6.0) * 1000.0,
        cov=a @ a.T + np.eye(6),
        launch=launch,
        launch_method="cue",
        impact=point,
        powered_probability=0.01,
        sources=("K-radar-site", "ROK"),
    )


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_a_warning_carries_the_rt1_fields_and_nothing_else() -> None:
    warning = share_warning(_track(), originator="ROK", warning_id="a1", conceal_geometry=False)
    wire = warning.to_dict()
    assert next(iter(wire)) == "format" and wire["format"] == WARNING_FORMAT
    assert _keys(wire) == {
        "format",
        "originator",
        "warning_id",
        "t",
        "state",
        "cov",
        "launch",
        "impact",
        "powered",
        "t_sigma_s",
        "lat_deg",
        "lon_deg",
        "enu_cov",
    }
    text = json.dumps(wire)
    assert "K-radar-site" not in text and "ROK-7" not in text and "cue" not in text


def test_a_warning_says_whether_its_track_is_powered_and_how_old_it_is() -> None:
    warning = share_warning(_track(), originator="ROK", warning_id="a1", conceal_geometry=False)
    assert warning.powered is not None and 0.0 <= warning.powered <= 1.0
    assert warning.age_s(warning.t + 180.0) == 180.0
    bad = warning.to_dict() | {"powered": 1.5}
    with pytest.raises(InputError):
        SharedWarning.from_dict(bad)
    unknown = {k: v for k, v in warning.to_dict().items() if k != "powered"}
    assert SharedWarning.from_dict(unknown).powered is None


def test_the_wire_form_round_trips() -> None:
    warning = share_warning(_track(), originator="ROK", warning_id="a1", conceal_geometry=False)
    again = SharedWarning.from_dict(json.loads(json.dumps(warning.to_dict())))
    assert again == warning
    np.testing.assert_allclose(again.cov_array(), _track().cov, rtol=1e-12)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(format="gsomia-warning-v2"),
        lambda d: d.pop("format"),
        lambda d: d.update(sensor="K-radar-site"),
        lambda d: d.update(state=[1.0, 2.0]),
        lambda d: d.update(t="soon"),
        lambda d: d["cov"][0].__setitem__(0, float("nan")),
        lambda d: d["impact"].update(site=[1, 2, 3]),
        lambda d: d.pop("launch"),
    ],
)
def test_malformed_or_foreign_warnings_are_refused(mutate: Any) -> None:
    wire = share_warning(
        _track(), originator="ROK", warning_id="a1", conceal_geometry=False
    ).to_dict()
    mutate(wire)
    with pytest.raises(InputError):
        SharedWarning.from_dict(wire)


def test_concealed_covariance_hides_direction_and_never_shrinks() -> None:
    track = _track()
    warning = share_warning(track, originator="ROK", warning_id="a1", conceal_geometry=True)
    shared = warning.cov_array()
    assert np.all(np.linalg.eigvalsh(shared - track.cov) >= -1e-9)
    for block in (slice(0, 3), slice(3, 6)):
        part = shared[block, block]
        np.testing.assert_allclose(part, part[0, 0] * np.eye(3))
    assert np.all(shared[:3, 3:] == 0.0)
    np.testing.assert_allclose(conceal_covariance(track.cov), shared)

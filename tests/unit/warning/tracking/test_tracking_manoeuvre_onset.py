"""The manoeuvre onset hazard that grows with the dynamic pressure: none in vacuum, the
stated rate at the reference pressure, and per-track transition matrices."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gsomia.errors import InputError
from gsomia.warning.evaluation.consistency import Tuning, harness_predictor
from gsomia.warning.geo.frames import enu_rotation, geodetic_to_ecef
from gsomia.warning.tracking import GaussianBatch, IMMPredictor, MixtureBatch
from gsomia.warning.tracking.models import dynamic_pressure, filter_air_density
from gsomia.warning.tracking.predictors import markov_matrix

_ONSET_S = 300.0
_Q_REF = 10_000.0


def _state(altitude_m: float, speed: float = 2000.0) -> np.ndarray:
    r = geodetic_to_ecef(39.0, 129.0, altitude_m)
    east = enu_rotation(39.0, 129.0)[0]  # the local east axis in ECEF
    return np.concatenate([r, speed * east, [0.0, 0.0, 0.0, 1e-4]])


def _coasting(altitudes: list[float]) -> MixtureBatch:
    mean = np.stack([_state(h) for h in altitudes])
    cov = np.broadcast_to(
        np.diag([50.0**2] * 3 + [2.0**2] * 3 + [1.0] * 3 + [1e-10]), (len(altitudes), 10, 10)
    ).copy()
    g = GaussianBatch(mean=mean, cov=cov, t=np.zeros(len(altitudes)))
    return MixtureBatch.from_gaussian(g, weight=[0.001, 0.998, 0.001])


def test_the_dynamic_pressure_is_half_rho_v_squared_in_the_filters_air() -> None:
    x = np.stack([_state(40_000.0), _state(600_000.0)])
    q = dynamic_pressure(x)
    rho = float(filter_air_density(np.array([40_000.0]))[0])
    assert q[0] == pytest.approx(0.5 * rho * 2000.0**2, rel=1e-3)
    assert q[1] < 1e-9


def test_per_track_rates_give_each_track_its_own_transition_matrix() -> None:
    base = np.array([[-0.1, 0.1], [0.02, -0.02]])
    rates = np.stack([base, 3.0 * base])
    dt = np.array([2.0, 5.0])
    both = markov_matrix(rates, dt)
    for k in range(2):
        np.testing.assert_allclose(both[k], markov_matrix(rates[k], dt[k : k + 1])[0])
    # Two states: the closed form.
    a, b = 0.3, 0.06
    p = b / (a + b) + a / (a + b) * np.exp(-(a + b) * 5.0)
    assert both[1, 0, 0] == pytest.approx(p, rel=1e-9)


def test_the_onset_hazard_is_none_in_vacuum_and_the_rate_at_the_reference_pressure() -> None:
    imm = replace(
        IMMPredictor.boost_coast_manoeuvre(manoeuvre_onset_s=_ONSET_S),
        onset_pressure_pa=_Q_REF,
    )
    prior = _coasting([600_000.0, 40_000.0])
    dt = np.array([2.0, 2.0])
    predicted = imm.predict(prior, t=dt)
    q = dynamic_pressure(prior.mean[:, 1])
    for k, scale in enumerate(q / _Q_REF):
        rates = imm.rates.copy()
        rates[1, 2] *= scale
        rates[1, 1] = -(rates[1, 0] + rates[1, 2])
        expected = prior.weight[k] @ markov_matrix(rates, dt[k : k + 1])[0]
        np.testing.assert_allclose(predicted.weight[k], expected, rtol=1e-9, atol=1e-15)
    # In vacuum the coast mode feeds the manoeuvre mode nothing; 40 km up at 2 km/s
    # (q about 8 kPa) about 2 s x 0.8 / 300 s.
    constant = IMMPredictor.boost_coast_manoeuvre(manoeuvre_onset_s=_ONSET_S).predict(prior, t=dt)
    assert predicted.weight[0, 2] < prior.weight[0, 2]
    assert constant.weight[0, 2] > 5.0 * prior.weight[0, 2]
    fed = predicted.weight[1, 2] - prior.weight[1, 2] * np.exp(-2.0 / 60.0)
    assert fed == pytest.approx(0.998 * 2.0 * q[1] / _Q_REF / _ONSET_S, rel=0.05)


def test_the_harness_passes_its_onset_pressure_and_neither_default_sets_one() -> None:
    tied = replace(Tuning(), manoeuvre_onset_pressure_pa=_Q_REF)
    assert harness_predictor(tied).onset_pressure_pa == _Q_REF
    assert harness_predictor(Tuning()).onset_pressure_pa is None
    assert IMMPredictor.boost_coast_manoeuvre().onset_pressure_pa is None


def test_a_non_positive_reference_pressure_is_refused() -> None:
    with pytest.raises(InputError):
        replace(IMMPredictor.boost_coast_manoeuvre(), onset_pressure_pa=0.0)


def test_a_mode_whose_probability_underflows_over_a_gap_keeps_its_own_state() -> None:
    # 1,200 km up at 7 km/s (in vacuum all along): nothing enters the manoeuvre mode and
    # over 2,000 s its weight (0.08 x e^(-2000/60)) underflows. It keeps its own state;
    # its mixed mean used to be its weights' tiny sum times its mean, near the Earth's
    # centre, and its predicted covariance blew up.
    mean = _state(1_200_000.0, speed=7000.0)
    cov = np.diag([50.0**2] * 3 + [2.0**2] * 3 + [1.0] * 3 + [1e-10])
    g = GaussianBatch.of(mean=mean, cov=cov, t=0.0)
    prior = MixtureBatch.from_gaussian(g, weight=[0.001, 0.919, 0.08])
    imm = replace(IMMPredictor.boost_coast_manoeuvre(), onset_pressure_pa=_Q_REF)
    out = imm.predict(prior, t=2000.0)
    coast, manoeuvre = out.mean[0, 1], out.mean[0, 2]
    assert np.linalg.norm(manoeuvre[:3] - coast[:3]) < 1_000.0
    eig = np.linalg.eigvalsh(out.cov[0, 2, :6, :6])
    assert np.all(np.isfinite(eig)) and eig.min() > -1e-6 * eig.max()
    assert out.weight[0, 2] < 1e-9

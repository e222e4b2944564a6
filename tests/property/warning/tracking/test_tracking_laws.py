"""Laws of the tracking maths, checked on generated inputs."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gsomia.warning.geo.frames import enu_rotation, geodetic_to_ecef
from gsomia.warning.sensors.measurements import radar_h, radar_h_and_jacobian, radar_jacobian
from gsomia.warning.tracking import (
    GaussianBatch,
    GNNAssociator,
    MeasurementBatch,
    MixtureBatch,
    assign,
    covariance_intersection,
)
from gsomia.warning.tracking._linalg import inv3_sym
from gsomia.warning.tracking.association import candidate_pairs, pair_distances
from gsomia.warning.tracking.initiators import report_positions
from gsomia.warning.tracking.sharing import conceal_covariance

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


def _spd(seed: int, n: int, scale: float = 1.0) -> np.ndarray:
    a = np.random.default_rng(seed).standard_normal((n, n)) * scale
    return a @ a.T + np.eye(n) * scale * scale * 0.1


@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 5)), elements=finite))
def test_assignment_is_optimal(cost: np.ndarray) -> None:
    rows, cols = assign(cost)
    k = min(cost.shape)
    assert rows.size == k and len(set(rows.tolist())) == k and len(set(cols.tolist())) == k
    best = min(
        sum(cost[r, c] for r, c in zip(rs, cs, strict=True))
        for rs in itertools.combinations(range(cost.shape[0]), k)
        for cs in itertools.permutations(range(cost.shape[1]), k)
    )
    assert cost[rows, cols].sum() <= best + 1e-9 * (1 + abs(best))


@settings(max_examples=60)
@given(st.integers(0, 10_000), st.floats(-0.95, 0.95), st.floats(0.01, 100.0))
def test_covariance_intersection_is_consistent_and_no_larger(
    seed: int, rho: float, ratio: float
) -> None:
    """For any correlation the CI covariance bounds the true error covariance of its mean."""
    n = 4
    a, b = _spd(seed, n), _spd(seed + 1, n, scale=ratio**0.5)
    la, lb = np.linalg.cholesky(a), np.linalg.cholesky(b)
    cross = rho * la @ lb.T
    joint = np.block([[a, cross], [cross.T, b]])
    _, cov, w = covariance_intersection(
        np.zeros((1, n)), a[None], np.zeros((1, n)), b[None], criterion="trace"
    )
    ia, ib = np.linalg.inv(a), np.linalg.inv(b)
    gain = np.hstack([w[0] * cov[0] @ ia, (1 - w[0]) * cov[0] @ ib])
    actual = gain @ joint @ gain.T
    assert np.linalg.eigvalsh(cov[0] - actual).min() >= -1e-8 * np.trace(cov[0])
    assert np.trace(cov[0]) <= min(np.trace(a), np.trace(b)) * (1 + 1e-9)


def _geometry(seed: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lat, lon = rng.uniform(-60, 60, n), rng.uniform(-180, 180, n)
    site = geodetic_to_ecef(lat, lon, rng.uniform(0, 1000, n))
    rot = enu_rotation(lat, lon)
    offset = rng.uniform(-800e3, 800e3, (n, 3))
    offset[:, 2] = np.abs(offset[:, 2]) + 50e3
    target = site + np.einsum("nji,nj->ni", rot, offset)
    state = np.concatenate([target, rng.standard_normal((n, 3)) * 1000], axis=1)
    return state, site, rot


@given(st.integers(0, 10_000))
def test_joint_radar_model_equals_the_separate_functions(seed: int) -> None:
    state, site, rot = _geometry(seed, 5)
    z, jac = radar_h_and_jacobian(state, site, rot)
    for k in range(5):
        np.testing.assert_allclose(z[k], radar_h(state[k], site[k], rot[k]), rtol=1e-12)
        np.testing.assert_allclose(jac[k], radar_jacobian(state[k], site[k], rot[k]), rtol=1e-9)
    np.testing.assert_allclose(z, radar_h(state, site, rot), rtol=1e-12)


@given(st.integers(0, 10_000))
def test_report_positions_invert_the_radar_model(seed: int) -> None:
    state, site, rot = _geometry(seed, 4)
    meas = MeasurementBatch(
        z=radar_h(state, site, rot),
        R=np.repeat(np.diag([100.0, 1e-6, 1e-6])[None], 4, 0),
        site=site,
        rotation=rot,
        t=np.zeros(4),
    )
    position, cov = report_positions(meas)
    np.testing.assert_allclose(position, state[:, :3], atol=1e-3)
    assert np.all(np.linalg.eigvalsh(cov) > 0)


@given(st.integers(0, 10_000), st.floats(1e-8, 1e8))
def test_inverse_of_symmetric_3x3_matches_numpy(seed: int, scale: float) -> None:
    m = _spd(seed, 3)
    m[0, :] *= scale
    m[:, 0] *= scale
    inv, det = inv3_sym(m[None])
    unit = np.diag(1.0 / np.sqrt(np.diag(m)))
    residual = unit @ (m @ inv[0] @ m - m) @ unit
    np.testing.assert_allclose(residual, 0.0, atol=1e-9)
    np.testing.assert_allclose(det[0], np.linalg.det(m), rtol=1e-8)


@settings(max_examples=40)
@given(st.integers(0, 10_000))
def test_the_cheap_bound_keeps_every_gated_pair(seed: int) -> None:
    rng = np.random.default_rng(seed)
    state, site, rot = _geometry(seed, 1)
    means = state + np.concatenate([rng.normal(0, 3000, (8, 3)), np.zeros((8, 3))], axis=1)
    covs = np.stack([_spd(seed + k, 6, scale=rng.uniform(50, 2000)) for k in range(8)])
    tracks = GaussianBatch(mean=means, cov=covs, t=np.zeros(8))
    targets = state + np.concatenate([rng.normal(0, 3000, (6, 3)), np.zeros((6, 3))], axis=1)
    z = radar_h(targets, site[0], rot[0])
    meas = MeasurementBatch(
        z=z,
        R=np.repeat(np.diag([225.0, 1e-7, 1e-7])[None], 6, 0),
        site=np.repeat(site, 6, 0),
        rotation=np.repeat(rot, 6, 0),
        t=np.zeros(6),
    )
    gate = GNNAssociator().gate
    d2, _ = pair_distances(tracks, meas)
    inside = set(zip(*np.nonzero(d2.reshape(8, 6) <= gate), strict=True))
    rows, cols = candidate_pairs(tracks, meas, gate=gate)
    assert inside <= set(zip(rows.tolist(), cols.tolist(), strict=True))


@given(st.integers(0, 10_000), st.integers(1, 4))
def test_a_mixture_of_equal_modes_collapses_to_that_mode(seed: int, modes: int) -> None:
    cov = _spd(seed, 6)
    g = GaussianBatch.of(mean=np.arange(6.0), cov=cov, t=1.0)
    weights = np.random.default_rng(seed).uniform(0.1, 1.0, modes)
    mixture = MixtureBatch.from_gaussian(g, weight=weights)
    np.testing.assert_allclose(mixture.weight.sum(), 1.0)
    collapsed = mixture.collapse()
    np.testing.assert_allclose(collapsed.mean, g.mean, atol=1e-12)
    np.testing.assert_allclose(collapsed.cov, g.cov, rtol=1e-12)


@given(st.integers(0, 10_000))
def test_take_then_put_restores_the_batch(seed: int) -> None:
    rng = np.random.default_rng(seed)
    g = GaussianBatch(
        mean=rng.standard_normal((7, 6)),
        cov=np.stack([_spd(seed + k, 6) for k in range(7)]),
        t=rng.uniform(0, 10, 7),
    )
    index = rng.permutation(7)[:4]
    again = g.put(index, g.take(index))
    np.testing.assert_array_equal(again.mean, g.mean)
    np.testing.assert_array_equal(again.cov, g.cov)


@given(st.integers(0, 10_000), st.floats(1e-3, 1e6))
def test_concealment_never_shrinks_a_covariance(seed: int, scale: float) -> None:
    cov = _spd(seed, 6, scale=scale**0.5)
    assert np.linalg.eigvalsh(conceal_covariance(cov) - cov).min() >= -1e-9 * np.trace(cov)

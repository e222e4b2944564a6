"""Several batches predicted in one pass give, bit for bit, what each gives alone."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gsomia.errors import InputError
from gsomia.warning.tracking import GaussianBatch, IMMPredictor, MixtureBatch
from gsomia.warning.tracking.predictors import markov_matrices, markov_matrix


def _batch(t: list[float], *, seed: int, broken: bool = False) -> MixtureBatch:
    """Tracks of a missile in mid-course near Japan, boost and coast modes."""
    rng = np.random.default_rng(seed)
    n = len(t)
    mean = np.zeros((n, 10))
    mean[:, :3] = np.array([-3.5e6, 4.1e6, 3.9e6]) + rng.normal(0.0, 2e4, (n, 3))
    mean[:, 3:6] = np.array([1.2e3, 0.8e3, 2.1e3]) + rng.normal(0.0, 50.0, (n, 3))
    mean[:, 6:9] = rng.normal(0.0, 0.5, (n, 3))
    mean[:, 9] = 3e-4
    a = rng.normal(0.0, 1.0, (n, 10, 10))
    cov = a @ np.swapaxes(a, 1, 2) + np.diag([1e4] * 3 + [1e2] * 3 + [1.0] * 3 + [1e-8])
    if broken:  # not positive definite: a Cholesky of it fails
        cov[0, 0, 0] = -1.0
    gaussian = GaussianBatch(mean=mean, cov=cov, t=np.array(t))
    return MixtureBatch.from_gaussian(gaussian, weight=rng.dirichlet([1.0, 1.0], n))


def _same(a: MixtureBatch, b: MixtureBatch) -> bool:
    return all(
        np.array_equal(x, y, equal_nan=True)
        for x, y in [(a.mean, b.mean), (a.cov, b.cov), (a.weight, b.weight), (a.t, b.t)]
    )


@pytest.fixture
def predictor() -> IMMPredictor:
    return replace(IMMPredictor.boost_coast(), max_step=10.0)


def test_each_batch_gets_what_it_gets_alone(predictor: IMMPredictor) -> None:
    priors = [
        _batch([100.0, 100.0], seed=1),  # one sub-step
        _batch([40.0], seed=2),  # a gap: cubature over 36 sub-steps
        _batch([95.0, 80.0, 100.0], seed=3),  # sub-steps of their own per track
        _batch([60.0, 60.0], seed=4, broken=True),  # a gap whose roots fall back to eigh
        _batch([], seed=5),
    ]
    targets: list[float | np.ndarray] = [105.0, 400.0, np.array([110.0, 111.0, 112.0]), 300.0, 7.0]
    together = predictor.predict_groups(priors, targets)
    alone = [predictor.predict(p, t=t) for p, t in zip(priors, targets, strict=True)]
    assert [len(x) for x in together] == [2, 1, 3, 2, 0]
    assert all(_same(a, b) for a, b in zip(together, alone, strict=True))


def test_gaps_of_several_batches_are_flown_together_as_alone(predictor: IMMPredictor) -> None:
    priors = [_batch([40.0, 50.0], seed=2), _batch([10.0], seed=6), _batch([100.0], seed=7)]
    targets = [400.0, 700.0, 105.0]
    together = predictor.predict_groups(priors, targets)
    alone = [predictor.predict(p, t=t) for p, t in zip(priors, targets, strict=True)]
    assert all(_same(a, b) for a, b in zip(together, alone, strict=True))


def test_joined_naively_the_batches_would_not_get_the_same(predictor: IMMPredictor) -> None:
    short, long = _batch([100.0], seed=1), _batch([40.0], seed=2)
    joined = short.concat(long)
    naive = predictor.predict(joined, t=np.array([105.0, 400.0]))
    alone = predictor.predict(short, t=105.0)
    # The mode transition series is scaled by the batch's longest step.
    assert not _same(naive.take(np.array([0])), alone)
    assert _same(predictor.predict_groups([short, long], [105.0, 400.0])[0], alone)


def test_groups_need_one_target_each(predictor: IMMPredictor) -> None:
    with pytest.raises(InputError):
        predictor.predict_groups([_batch([0.0], seed=1)], [1.0, 2.0])


def test_mode_transitions_of_several_batches_are_each_batch_s_own(
    predictor: IMMPredictor,
) -> None:
    # Each batch's series is scaled by its own longest step (none, a few, many squarings).
    dts = [np.array([0.0, 0.5]), np.array([3.0, 40.0, 1.0]), np.array([900.0])]
    both = markov_matrices(predictor.rates, np.concatenate(dts), [d.size for d in dts])
    alone = np.concatenate([markov_matrix(predictor.rates, d) for d in dts])
    assert np.array_equal(both, alone)

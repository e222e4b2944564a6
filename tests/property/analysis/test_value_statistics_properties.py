"""The value analysis's statistics and fusion hold for any input, not just the ones tried.

* Fusing a party's picture with partners' warnings never raises, whatever the pictures
  hold (singular, negative, huge or non-finite covariances; tracks outliving the missile)
  and whatever the delays, and nothing is held outside the missile's life.
* A missile-run with no fix is counted as a lead of zero in every comparison.
* The bootstrap interval covers a known mean in a simulation with a known answer.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gsomia.analysis.fusion import fuse_round
from gsomia.analysis.regimes import Flow
from gsomia.analysis.simulation import RoundPicture
from gsomia.analysis.statistics import bootstrap_mean, lead_time, paired_difference

GRID = np.arange(0.0, 600.0, 5.0)


def _picture(rng: np.random.Generator, *, scale: float, broken: int) -> RoundPicture:
    n = GRID.size
    pic = RoundPicture.empty(n)
    held = rng.random(n) < 0.7
    pic.present[:] = held
    pic.t[held] = GRID[held] - rng.uniform(0.0, 400.0, size=int(held.sum()))
    mean = rng.normal(0.0, 1.0, size=(n, 10)) * 1e5
    mean[:, :3] += np.array([-3.0e6, 4.0e6, 3.8e6])
    cov = rng.normal(0.0, 1.0, size=(n, 10, 10)) * scale
    cov = np.einsum("nij,nkj->nik", cov, cov)
    kinds = [
        lambda c: c * 0.0,  # singular
        lambda c: -c,  # negative definite
        lambda c: c * 1e30,  # huge
        lambda c: np.full_like(c, np.nan),  # not finite
    ]
    for k in range(broken):
        rows = rng.random(n) < 0.2
        cov[rows] = kinds[k % len(kinds)](cov[rows])
    pic.mean[held], pic.cov[held] = mean[held], cov[held]
    pic.cue_lat[held], pic.cue_lon[held], pic.powered[held] = 39.0, 125.0, 0.0
    return pic


def _flow(delay: float, conceal: bool) -> Flow:
    return Flow(originator="KOR", recipient="JPN", agreement_id="x", level="tracks",
                delay_s=delay, route=("KOR", "JPN"), conceal=conceal, rule_ids=(),
                reason="", basis="")  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    scale=st.sampled_from([1e-3, 1.0, 1e4]),
    broken=st.integers(0, 4),
    delays=st.lists(st.sampled_from([0.0, 2.0, 5.0, 180.0, 660.0]), min_size=0, max_size=3),
    end=st.integers(20, GRID.size - 1),
)
def test_fusion_never_raises_and_holds_nothing_outside_the_missile_s_life(
    seed: int, scale: float, broken: int, delays: list[float], end: int
) -> None:
    rng = np.random.default_rng(seed)
    own = _picture(rng, scale=scale, broken=broken)
    partners = [(_picture(rng, scale=scale, broken=broken), _flow(d, i % 2 == 1))
                for i, d in enumerate(delays)]  # fmt: skip
    window = np.arange(3, end)
    est = fuse_round(own, partners, GRID, window)
    outside = np.ones(GRID.size, dtype=bool)
    outside[window] = False
    assert not est.present[outside].any()
    assert est.state.shape == (GRID.size, 6)


@settings(max_examples=60, deadline=None)
@given(
    flight=st.floats(100.0, 4000.0),
    better=st.lists(st.one_of(st.floats(0.0, 4000.0), st.just(math.inf)), min_size=1, max_size=30),
    data=st.data(),
)
def test_a_missile_run_with_no_fix_is_counted_never_dropped(
    flight: float, better: list[float], data: st.DataObject
) -> None:
    worse = data.draw(st.lists(st.one_of(st.floats(0.0, 4000.0), st.just(math.inf)),
                               min_size=len(better), max_size=len(better)))  # fmt: skip
    b = [lead_time(x, flight) for x in better]
    w = [lead_time(x, flight) for x in worse]
    d = paired_difference(b, w, ["L"] * len(b), resolution_s=5.0)
    assert d.n == len(better)
    assert d.unknown == 0
    assert d.gained + d.lost + d.neither <= d.n
    assert d.gained == sum(1 for x, y in zip(b, w, strict=True) if x > 0 >= y)
    assert math.isclose(d.mean, float(np.mean(np.subtract(b, w))), abs_tol=1e-9)
    assert d.low <= d.mean + 1e-9 and d.mean - 1e-9 <= d.high


def test_the_interval_covers_a_known_mean_about_95_times_in_100() -> None:
    """Clustered data with a known mean gain (20 launches × 30 runs, launch effects):
    the two-stage bootstrap's 95 % interval covers it in 88–99 % of 200 replications."""
    rng = np.random.default_rng(7)
    true_gain = 12.0
    covered = 0
    reps = 200
    clusters = np.repeat(np.arange(20), 30)
    for rep in range(reps):
        effects = rng.normal(0.0, 8.0, size=20)
        values = true_gain + effects[clusters] + rng.normal(0.0, 30.0, size=clusters.size)
        _, low, high = bootstrap_mean(values, clusters, seed=rep, draws=800)
        covered += low <= true_gain <= high
    assert 0.88 <= covered / reps <= 0.99


def test_a_difference_below_the_picture_step_is_within_resolution() -> None:
    d = paired_difference([10.0, 12.0, 11.0] * 10, [9.0, 12.0, 10.0] * 10, ["L"] * 30,
                          resolution_s=5.0)  # fmt: skip
    assert d.within_resolution
    d = paired_difference([100.0] * 30, [0.0] * 30, ["L"] * 30, resolution_s=5.0)
    assert d.significant and not d.within_resolution and d.gained == 30

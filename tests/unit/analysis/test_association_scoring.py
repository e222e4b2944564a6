"""Association scores: GOSPA by hand, purity and swaps of a track that jumps objects."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gsomia.analysis.association import Snapshot, gospa, score_association
from gsomia.errors import InputError


def test_gospa_by_hand() -> None:
    truth = np.array([[0.0, 0.0, 0.0], [100.0, 0.0, 0.0]])
    tracks = np.array([[3.0, 4.0, 0.0], [400.0, 0.0, 0.0]])
    distance, loc, missed, false, pairs = gospa(truth, tracks, c=50.0)
    assert pairs == [(0, 0)]
    assert loc == pytest.approx(25.0)
    assert missed == pytest.approx(50.0**2 / 2)
    assert false == pytest.approx(50.0**2 / 2)
    assert distance == pytest.approx(math.sqrt(25.0 + 2500.0))
    assert gospa(truth, np.zeros((0, 3)), c=50.0)[0] == pytest.approx(50.0)
    with pytest.raises(InputError):
        gospa(truth, tracks, c=0.0)


def _snap(truth: list[list[float]], tracks: list[list[float]], ids: list[int]) -> Snapshot:
    return Snapshot(
        truth_ids=np.arange(len(truth), dtype=np.int64),
        truth=np.array(truth, dtype=float),
        track_ids=np.array(ids, dtype=np.int64),
        tracks=np.array(tracks, dtype=float),
    )


def test_a_track_that_jumps_to_the_stage_is_a_swap_and_loses_purity() -> None:
    """Warhead (object 0) and stage (object 1) 1 km apart; track 7 follows the warhead,
    then the stage; track 8 follows the stage, then the warhead; track 9 is a phantom."""
    w, s = [0.0, 0.0, 0.0], [1000.0, 0.0, 0.0]
    snaps = [_snap([w, s], [w, s], [7, 8]) for _ in range(3)]
    snaps += [_snap([w, s], [s, w, [9e5, 0.0, 0.0]], [7, 8, 9]) for _ in range(1)]
    out = score_association(snaps, c=500.0)
    assert out.swaps == 2
    assert out.id_changes == 2
    assert out.purity == pytest.approx(6 / 8)
    assert out.false_tracks == 1 and out.tracks == 3
    assert out.localisation == 0.0
    assert out.false == pytest.approx(500.0**2 / 2 / 4)


def test_perfect_tracks_score_perfectly() -> None:
    snaps = [_snap([[0.0, 0.0, float(k)]], [[0.0, 0.0, float(k)]], [1]) for k in range(5)]
    out = score_association(snaps)
    assert (out.gospa, out.purity, out.swaps, out.false_tracks) == (0.0, 1.0, 0, 0)
    with pytest.raises(InputError):
        score_association([])


def test_small_assignments_cost_what_the_hungarian_solver_finds() -> None:
    from gsomia.analysis.association import min_cost_pairs
    from gsomia.warning.tracking import assign

    rng = np.random.default_rng(3)
    for _ in range(300):
        k, n = (int(v) for v in rng.integers(1, 8, 2))
        cost = rng.random((k, n)) * rng.choice([1.0, 1e6])
        rows, cols = min_cost_pairs(cost)
        ref_rows, ref_cols = assign(cost)
        assert len(rows) == min(k, n) and list(rows) == sorted(rows)
        assert len(set(cols.tolist())) == len(cols)
        assert cost[rows, cols].sum() == pytest.approx(cost[ref_rows, ref_cols].sum())

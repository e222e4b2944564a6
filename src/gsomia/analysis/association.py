"""Association scored without the truth's help: GOSPA, track purity, swaps, false tracks.

The tracker's confirmed tracks are matched to the true objects at each scoring time by the
assignment that GOSPA makes (Rahmathullah, García-Fernández & Svensson, FUSION 2017, with
``α = 2``): a track and an object pair up when that lowers the GOSPA cost, i.e. when they
are closer than the cut-off ``c``. Nothing is picked by truth label: a duplicate track, a
track on a spent stage, a track that jumps from the warhead to its stage all count.

From the per-time matches:

* ``gospa`` (m): the mean over times of the GOSPA distance (``p = 2``), with its parts:
  localisation, missed objects and false tracks;
* ``purity``: for each track, the largest share of its matched times spent on one object,
  averaged over tracks weighted by their matched times (1 is perfect);
* ``swaps``: how often a track's matched object changes from one matched time to the next;
* ``id_changes``: how often an object's matched track changes;
* ``false_tracks``: confirmed tracks never matched to any object;
* ``tracks`` and ``objects``: how many distinct tracks and objects were seen at all.

Stone Soup's ``GOSPAMetric`` computes the same distance; the fusion benchmark prints both
on one run as a check.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import NDArray

from gsomia.errors import InputError
from gsomia.warning.tracking import assign

__all__ = [
    "AssociationScore",
    "Snapshot",
    "gospa",
    "min_cost_pairs",
    "score_association",
    "summarise_scores",
]

_ENUMERATE_UP_TO = 720
"""Assignments of at most this many candidates are found by enumerating them all."""


@cache
def _injections(k: int, n: int) -> NDArray[np.intp]:
    """Every way to give each of ``k`` rows its own one of ``n`` columns (k <= n)."""
    return np.array(list(itertools.permutations(range(n), k)), dtype=np.intp).reshape(-1, k)


def min_cost_pairs(cost: Array) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Rows and columns of a minimum-cost assignment of a finite cost matrix, as
    :func:`~gsomia.warning.tracking.assign` gives them (``min(rows, cols)`` pairs, rows
    ascending); small matrices (a few objects and tracks, as at one scoring time) by
    exact enumeration, larger ones by the tracker's Hungarian solver."""
    k, n = cost.shape
    if k > n:
        cols, rows = min_cost_pairs(cost.T)
        order = np.argsort(rows)
        return rows[order], cols[order]
    if k == 0 or math.perm(n, k) > _ENUMERATE_UP_TO:
        return assign(cost)
    options = _injections(k, n)
    best = options[int(np.argmin(cost[np.arange(k), options].sum(axis=1)))]
    return np.arange(k, dtype=np.intp), best


Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """What is compared at one time: the objects' positions ``truth`` (K, 3) with their
    ``truth_ids`` (K,), and the confirmed tracks' positions ``tracks`` (N, 3) with their
    ``track_ids`` (N,)."""

    truth_ids: NDArray[np.int64]
    truth: Array
    track_ids: NDArray[np.int64]
    tracks: Array


@dataclass(frozen=True, slots=True, kw_only=True)
class AssociationScore:
    """Mean GOSPA (m) and its parts (each the mean of its power ``p`` share, m²), purity,
    swaps, identity changes, false tracks, and the distinct tracks and objects seen."""

    gospa: float
    localisation: float
    missed: float
    false: float
    purity: float
    swaps: int
    id_changes: int
    false_tracks: int
    tracks: int
    objects: int = 0


def gospa(
    truth: Array, tracks: Array, *, c: float, p: float = 2.0
) -> tuple[float, float, float, float, list[tuple[int, int]]]:
    """GOSPA distance (α = 2) between object positions (K, 3) and track positions (N, 3).

    Returns the distance, its localisation, missed and false parts (each already raised
    to the power ``p``: they add up to ``distance ** p``), and the matched (object, track)
    index pairs. Raises InputError for a non-positive cut-off or order.
    """
    if not (c > 0.0 and p >= 1.0):
        raise InputError("gospa needs c > 0 and p >= 1")
    k, n = truth.shape[0], tracks.shape[0]
    penalty = c**p / 2.0
    pairs: list[tuple[int, int]] = []
    loc = 0.0
    if k and n:
        d = np.linalg.norm(truth[:, None, :] - tracks[None, :, :], axis=-1)
        cost = np.minimum(d, c) ** p
        rows, cols = min_cost_pairs(cost)
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
            if d[i, j] < c:
                pairs.append((i, j))
                loc += float(d[i, j] ** p)
    missed = penalty * (k - len(pairs))
    false = penalty * (n - len(pairs))
    return float((loc + missed + false) ** (1.0 / p)), loc, missed, false, pairs


def score_association(
    snapshots: Sequence[Snapshot], *, c: float = 10_000.0, p: float = 2.0
) -> AssociationScore:
    """Score a tracker's confirmed tracks against the objects over ``snapshots``."""
    if not snapshots:
        raise InputError("score_association needs at least one snapshot")
    totals = np.zeros(4)
    on: dict[int, dict[int, int]] = {}
    last_truth: dict[int, int] = {}
    last_track: dict[int, int] = {}
    swaps = id_changes = 0
    seen_tracks: set[int] = set()
    seen_objects: set[int] = set()
    for snap in snapshots:
        distance, loc, missed, false, pairs = gospa(snap.truth, snap.tracks, c=c, p=p)
        totals += (distance, loc, missed, false)
        seen_tracks.update(int(t) for t in snap.track_ids)
        seen_objects.update(int(o) for o in snap.truth_ids)
        for i, j in pairs:
            obj, trk = int(snap.truth_ids[i]), int(snap.track_ids[j])
            counts = on.setdefault(trk, {})
            counts[obj] = counts.get(obj, 0) + 1
            if trk in last_truth and last_truth[trk] != obj:
                swaps += 1
            if obj in last_track and last_track[obj] != trk:
                id_changes += 1
            last_truth[trk], last_track[obj] = obj, trk
    matched = sum(sum(v.values()) for v in on.values())
    purity = sum(max(v.values()) for v in on.values()) / matched if matched else float("nan")
    mean = totals / len(snapshots)
    return AssociationScore(
        gospa=float(mean[0]),
        localisation=float(mean[1]),
        missed=float(mean[2]),
        false=float(mean[3]),
        purity=float(purity),
        swaps=swaps,
        id_changes=id_changes,
        false_tracks=len(seen_tracks - set(on)),
        tracks=len(seen_tracks),
        objects=len(seen_objects),
    )


def summarise_scores(scores: Sequence[AssociationScore], *, c: float) -> dict[str, float]:
    """Means over runs of one tracker's scores (cut-off ``c`` in m, as scored).

    ``tracks``, ``objects``, ``swaps``, ``id_changes`` and ``false_tracks`` per run;
    ``purity`` over the runs that matched anything (NaN if none did); ``gospa_km``;
    ``missed_per_time`` and ``false_per_time`` the mean number of objects missed and of
    tracks on nothing at a scoring time (GOSPA's parts divided by ``c**2 / 2``, p = 2).
    Raises InputError for no scores or a non-positive cut-off.
    """
    if not scores or not c > 0.0:
        raise InputError("summarise_scores needs scores and c > 0")
    pure = [s.purity for s in scores if not math.isnan(s.purity)]
    penalty = c * c / 2.0

    def mean(values: Sequence[float]) -> float:
        return float(np.mean(values)) if values else math.nan

    return {
        "runs": float(len(scores)),
        "tracks": mean([s.tracks for s in scores]),
        "objects": mean([s.objects for s in scores]),
        "purity": mean(pure),
        "swaps": mean([s.swaps for s in scores]),
        "id_changes": mean([s.id_changes for s in scores]),
        "false_tracks": mean([s.false_tracks for s in scores]),
        "gospa_km": mean([s.gospa for s in scores]) / 1e3,
        "missed_per_time": mean([s.missed for s in scores]) / penalty,
        "false_per_time": mean([s.false for s in scores]) / penalty,
    }

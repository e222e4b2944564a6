"""Gating and global-nearest-neighbour association of one radar scan to predicted tracks.

Each track–report pair gets the Mahalanobis distance ``d² = νᵀ S⁻¹ ν`` of the report from
the track's predicted measurement, with ``S = H P Hᵀ + R``. Pairs beyond the gate are
impossible. Among the rest, the assignment that pairs as many tracks with reports as
possible at the least total ``d² + ln det S`` (the negative log-likelihood up to a
constant) wins. A cheap bound in position space first drops the pairs that cannot be in
the gate, so only nearby pairs are linearised. The problem is split into the connected
components of the gating graph, so a salvo of well-separated objects costs N trivial
problems, not one N × N one; each larger component is solved exactly by the
shortest-augmenting-path Hungarian algorithm.
References: Blackman & Popoli, *Design and Analysis of Modern Tracking Systems* (1999),
§6.5 (GNN); Kuhn (1955) and Jonker & Volgenant (1987) (assignment).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gsomia.errors import InputError
from gsomia.warning.tracking._linalg import Array, Index, inv3_sym
from gsomia.warning.tracking.base import Assignment, StateBatch
from gsomia.warning.tracking.initiators import report_positions
from gsomia.warning.tracking.states import GaussianBatch, MeasurementBatch
from gsomia.warning.tracking.updaters import innovation, predict_measurement

__all__ = ["GNNAssociator", "assign", "candidate_pairs", "pair_distances"]

GATE_3DOF_9999 = 21.108
"""Chi-square 99.99 % point for three degrees of freedom."""
_FORBIDDEN = 1e12


def assign(cost: Array) -> tuple[Index, Index]:
    """Rows and columns of a minimum-cost assignment of a finite cost matrix.

    Rectangular matrices assign ``min(rows, cols)`` pairs. Raises InputError for
    non-finite costs.
    """
    c = np.asarray(cost, dtype=float)
    if c.ndim != 2 or not np.all(np.isfinite(c)):
        raise InputError("assign needs a finite 2-D cost matrix")
    if c.shape[0] > c.shape[1]:
        cols, rows = assign(c.T)
        order = np.argsort(rows)
        return rows[order], cols[order]
    col_of_row = _hungarian(c)
    rows = np.arange(c.shape[0], dtype=np.intp)
    return rows, col_of_row


def _hungarian(c: Array) -> Index:
    """Shortest augmenting paths with potentials; rows ≤ columns; O(n² m)."""
    n, m = c.shape
    u = np.zeros(n + 1)
    v = np.zeros(m + 1)
    row_of_col = np.zeros(m + 1, dtype=np.intp)
    way = np.zeros(m + 1, dtype=np.intp)
    for i in range(1, n + 1):
        row_of_col[0] = i
        j0 = 0
        min_v = np.full(m + 1, math.inf)
        used = np.zeros(m + 1, dtype=bool)
        while True:
            used[j0] = True
            i0 = row_of_col[j0]
            free = ~used[1:]
            reduced = c[i0 - 1] - u[i0] - v[1:]
            better = free & (reduced < min_v[1:])
            min_v[1:][better] = reduced[better]
            way[1:][better] = j0
            masked = np.where(free, min_v[1:], math.inf)
            j1 = int(np.argmin(masked)) + 1
            delta = masked[j1 - 1]
            u[row_of_col[used]] += delta
            v[used] -= delta
            min_v[1:][free] -= delta
            j0 = j1
            if row_of_col[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            row_of_col[j0] = row_of_col[j1]
            j0 = j1
    col_of_row = np.empty(n, dtype=np.intp)
    cols = np.nonzero(row_of_col[1:])[0]
    col_of_row[row_of_col[1:][cols] - 1] = cols
    return col_of_row


def pair_distances(
    predicted: GaussianBatch,
    measurements: MeasurementBatch,
    *,
    rows: Index | None = None,
    cols: Index | None = None,
) -> tuple[Array, Array]:
    """Mahalanobis ``d²`` and ``ln det S`` of track–report pairs.

    Pairs are ``(rows[k], cols[k])``; by default every pair, as (N·M,) in row-major order.
    Each pair is seen from its report's own site.
    """
    if rows is None or cols is None:
        grid = np.indices((len(predicted), len(measurements))).reshape(2, -1)
        rows, cols = grid[0], grid[1]
    if rows.size == 0:
        return np.zeros(0), np.zeros(0)
    pairs = GaussianBatch(mean=predicted.mean[rows], cov=predicted.cov[rows], t=predicted.t[rows])
    mp = predict_measurement(
        pairs, site=measurements.site[cols], rotation=measurements.rotation[cols]
    )
    s = mp.HPHt + measurements.R[cols]
    with np.errstate(invalid="ignore", divide="ignore"):
        s_inv, det = inv3_sym(s)
        nu = innovation(measurements.z[cols], mp.z_hat)
        d2 = np.einsum("pi,pij,pj->p", nu, s_inv, nu)
    # An innovation covariance that is not positive definite (a track whose covariance has
    # lost it) describes no Gaussian: such a pair lies outside every gate, never a NaN cost.
    proper = (
        (np.diagonal(s, axis1=-2, axis2=-1) > 0.0).all(axis=-1)
        & (s[:, 0, 0] * s[:, 1, 1] - s[:, 0, 1] ** 2 > 0.0)
        & (det > 0.0)
        & np.isfinite(d2)
    )
    d2 = np.where(proper, d2, math.inf)
    logdet = np.where(proper, np.log(np.where(proper, det, 1.0)), math.inf)
    return np.asarray(d2), np.asarray(logdet)


def candidate_pairs(
    predicted: GaussianBatch, measurements: MeasurementBatch, *, gate: float
) -> tuple[Index, Index]:
    """Track–report pairs that may lie inside the gate, by a cheap bound in position space.

    ``d² ≥ |Δ|² / (λmax(P) + λmax(R'))`` for the position difference Δ and the report's
    covariance R' in position space; pairs whose bound exceeds four times the gate are
    certainly outside it (the factor covers the linearisation of the radar measurement).
    """
    if len(predicted) == 0 or len(measurements) == 0:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty
    position, pos_cov = report_positions(measurements)
    cov = predicted.cov[:, :3, :3]
    finite = np.isfinite(cov).all(axis=(1, 2))
    spread_t = np.full(len(predicted), -math.inf)  # a covariance not finite gates nothing
    if finite.any():
        spread_t[finite] = np.linalg.eigvalsh(cov[finite])[:, -1]
    spread_r = np.linalg.eigvalsh(pos_cov)[:, -1]
    delta = predicted.mean[:, None, :3] - position[None]
    dist2 = np.einsum("nmi,nmi->nm", delta, delta)
    bound = 4.0 * gate * (spread_t[:, None] + spread_r[None])
    rows, cols = np.nonzero(dist2 <= bound)
    return rows.astype(np.intp), cols.astype(np.intp)


def _components(rows: Index, cols: Index) -> list[tuple[Index, Index]]:
    """Connected components (track indices, report indices) of the gated pairs."""
    parent: dict[tuple[int, int], tuple[int, int]] = {}

    def find(a: tuple[int, int]) -> tuple[int, int]:
        parent.setdefault(a, a)
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        ra, rb = find((0, i)), find((1, j))
        if ra != rb:
            parent[rb] = ra
    groups: dict[tuple[int, int], tuple[set[int], set[int]]] = {}
    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        group = groups.setdefault(find((0, i)), (set(), set()))
        group[0].add(i)
        group[1].add(j)
    return [
        (np.array(sorted(r), dtype=np.intp), np.array(sorted(c), dtype=np.intp))
        for r, c in groups.values()
    ]


def _solve(
    comp_rows: Index, comp_cols: Index, rows: Index, cols: Index, cost: Array
) -> tuple[list[int], list[int]]:
    """Exact assignment inside one component of the gating graph."""
    matrix = np.full((comp_rows.size, comp_cols.size), _FORBIDDEN)
    pick = np.isin(rows, comp_rows) & np.isin(cols, comp_cols)
    at_r = np.searchsorted(comp_rows, rows[pick])
    at_c = np.searchsorted(comp_cols, cols[pick])
    matrix[at_r, at_c] = cost[pick]
    r, c = assign(matrix)
    ok = matrix[r, c] < _FORBIDDEN
    return comp_rows[r][ok].tolist(), comp_cols[c][ok].tolist()


def _per_track(
    rows: Index, cols: Index, d2: Array, logdet: Array, *, weight: Array
) -> tuple[Index, Index, Array, Array]:
    """Fold mode-level pairs into track-level pairs: least ``d²``, mixture cost."""
    n_modes = weight.shape[1]
    if n_modes == 1:
        return rows, cols, d2 + logdet, d2
    track, mode = rows // n_modes, rows % n_modes
    with np.errstate(divide="ignore"):
        log_w = np.log(weight[track, mode])
    half_cost = 0.5 * (d2 + logdet) - log_w
    key = track * max(int(cols.max(initial=0)) + 1, 1) + cols
    unique, inverse = np.unique(key, return_inverse=True)
    best_d2 = np.full(unique.size, math.inf)
    np.minimum.at(best_d2, inverse, d2)
    least = np.full(unique.size, math.inf)
    np.minimum.at(least, inverse, half_cost)
    total = np.zeros(unique.size)
    with np.errstate(invalid="ignore", divide="ignore"):  # a pair no mode gates: inf - inf
        np.add.at(total, inverse, np.exp(least[inverse] - half_cost))
        cost = 2.0 * (least - np.log(total))
    first = np.zeros(unique.size, dtype=np.intp)
    first[inverse[::-1]] = np.arange(inverse.size)[::-1]
    return track[first], cols[first], cost, best_d2


@dataclass(frozen=True, slots=True, kw_only=True)
class GNNAssociator:
    """Global nearest neighbour with a chi-square gate (``gate`` is the d² threshold)."""

    gate: float = GATE_3DOF_9999

    def associate(self, predicted: StateBatch, measurements: MeasurementBatch) -> Assignment:
        """Assign reports to tracks; every track and report is used at most once.

        For a mixture a pair is inside the gate if any mode puts it there, and its cost is
        the negative log of the mixture likelihood (``d² + ln det S`` for one mode).
        """
        flat, weight = predicted.modes()
        rows, cols = candidate_pairs(flat, measurements, gate=self.gate)
        d2, logdet = pair_distances(flat, measurements, rows=rows, cols=cols)
        rows, cols, cost, d2 = _per_track(rows, cols, d2, logdet, weight=weight)
        inside = d2 <= self.gate
        rows, cols, cost = rows[inside], cols[inside], cost[inside]
        tracks: list[int] = []
        reports: list[int] = []
        for comp_rows, comp_cols in _components(rows, cols):
            if comp_rows.size == 1 and comp_cols.size == 1:
                tracks.append(int(comp_rows[0]))
                reports.append(int(comp_cols[0]))
                continue
            r, c = _solve(comp_rows, comp_cols, rows, cols, cost)
            tracks.extend(r)
            reports.extend(c)
        taken = np.zeros(len(measurements), dtype=bool)
        taken[reports] = True
        order = np.argsort(tracks, kind="stable")
        return Assignment(
            tracks=np.asarray(tracks, dtype=np.intp)[order],
            reports=np.asarray(reports, dtype=np.intp)[order],
            unassigned_reports=np.nonzero(~taken)[0].astype(np.intp),
        )

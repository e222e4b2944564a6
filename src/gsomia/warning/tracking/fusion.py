"""Track-level fusion of partners' warnings by covariance intersection.

When partners share reports, fusion happens in the tracker (their scans update the same
tracks). When they share only tracks, the estimates are correlated in ways nobody knows
(the partners may have seen the same reports, or each other's warnings); covariance
intersection fuses them without that knowledge and stays consistent for any correlation:
``P⁻¹ = ω A⁻¹ + (1-ω) B⁻¹``, ``x = P (ω A⁻¹ a + (1-ω) B⁻¹ b)``, with ω chosen to minimise
the determinant (or trace) of ``P``. References: Julier & Uhlmann, "A non-divergent
estimation algorithm in the presence of unknown correlations", ACC 1997; Stone Soup's
``ChernoffUpdater`` (the same rule in Bayesian form).

:func:`fuse_warnings` predicts every estimate (the party's own tracks and the received
warnings) to one time, associates them source by source with a chi-square gate, fuses
each group by covariance intersection and predicts the impact point of the fused state.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from gsomia.errors import InputError
from gsomia.warning.geo.frames import ecef_to_geodetic, enu_rotation, geodetic_to_ecef
from gsomia.warning.tracking._linalg import Array, spd_inverse, symmetrise
from gsomia.warning.tracking.association import assign
from gsomia.warning.tracking.impact import ImpactPredictor
from gsomia.warning.tracking.models import BallisticMotion
from gsomia.warning.tracking.picture import (
    GroundEstimate,
    Picture,
    PictureTrack,
    crossing_estimate,
)
from gsomia.warning.tracking.predictors import EKFPredictor
from gsomia.warning.tracking.sharing import SharedWarning
from gsomia.warning.tracking.states import GaussianBatch

__all__ = [
    "GATE_6DOF_999",
    "POWERED",
    "CovarianceIntersectionFuser",
    "covariance_intersection",
    "fuse_warnings",
]

GATE_6DOF_999 = 22.458
"""Chi-square 99.9 % point for six degrees of freedom."""
POWERED = 0.5
"""An estimate this likely to be powered is never fused: its unpowered prediction is void."""
_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0
_FORBIDDEN = 1e12


def _ci_size(ia: Array, ib: Array, w: Array, criterion: str) -> Array:
    info = w[:, None, None] * ia + (1.0 - w)[:, None, None] * ib
    if criterion == "det":
        return np.asarray(-np.linalg.slogdet(info)[1])
    return np.asarray(np.trace(np.linalg.inv(info), axis1=-2, axis2=-1))


def covariance_intersection(
    mean_a: Array,
    cov_a: Array,
    mean_b: Array,
    cov_b: Array,
    *,
    criterion: Literal["det", "trace"] = "det",
    iterations: int = 48,
) -> tuple[Array, Array, Array]:
    """Fuse K pairs of estimates (K, n) by covariance intersection; returns mean, cov, ω.

    ω is found by golden-section search (the criterion is convex in ω) and compared with
    both ends, so the fused size is never above either input's.
    """
    ia, ib = spd_inverse(cov_a), spd_inverse(cov_b)
    lo, hi = np.zeros(mean_a.shape[0]), np.ones(mean_a.shape[0])
    for _ in range(iterations):
        x1 = hi - _GOLDEN * (hi - lo)
        x2 = lo + _GOLDEN * (hi - lo)
        left = _ci_size(ia, ib, x1, criterion) <= _ci_size(ia, ib, x2, criterion)
        hi = np.where(left, x2, hi)
        lo = np.where(left, lo, x1)
    candidates = np.stack([0.5 * (lo + hi), np.zeros_like(lo), np.ones_like(lo)], axis=1)
    sizes = np.stack([_ci_size(ia, ib, candidates[:, k], criterion) for k in range(3)], axis=1)
    w = candidates[np.arange(candidates.shape[0]), np.argmin(sizes, axis=1)]
    info = w[:, None, None] * ia + (1.0 - w)[:, None, None] * ib
    cov = symmetrise(spd_inverse(symmetrise(info)))
    ya = (ia @ mean_a[:, :, None])[:, :, 0]
    yb = (ib @ mean_b[:, :, None])[:, :, 0]
    y = w[:, None] * ya + (1.0 - w)[:, None] * yb
    mean = (cov @ y[:, :, None])[:, :, 0]
    return mean, cov, w


@dataclass(frozen=True, slots=True, kw_only=True)
class CovarianceIntersectionFuser:
    """Fuses any number of estimates of one quantity by sequential covariance intersection."""

    criterion: Literal["det", "trace"] = "det"

    def fuse(self, means: Array, covs: Array) -> tuple[Array, Array]:
        """One estimate (n,), (n, n) from K ≥ 1 estimates. Raises InputError for none."""
        if means.shape[0] == 0:
            raise InputError("nothing to fuse")
        mean, cov = means[0], covs[0]
        for k in range(1, means.shape[0]):
            m, c, _ = covariance_intersection(
                mean[None], cov[None], means[k][None], covs[k][None], criterion=self.criterion
            )
            mean, cov = m[0], c[0]
        return mean, cov


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class _Entry:
    source: str
    name: str
    t: float
    mean: Array
    cov: Array
    launch: GroundEstimate | None
    launch_method: str
    powered: float
    impact: GroundEstimate | None = None


def _entries(own: Picture | None, warnings: Sequence[SharedWarning]) -> list[_Entry]:
    out = []
    if own is not None:
        for track in own.tracks:
            out.append(
                _Entry(
                    source=own.party,
                    name=track.track_id,
                    t=track.t,
                    mean=track.state[:6],
                    cov=track.cov[:6, :6],
                    launch=track.launch,
                    launch_method=track.launch_method,
                    powered=track.powered_probability,
                    impact=track.impact,
                )
            )
    for w in sorted(warnings, key=lambda w: (w.originator, w.warning_id)):
        out.append(
            _Entry(
                source=w.originator,
                name=f"{w.originator}/{w.warning_id}",
                t=w.t,
                mean=w.mean(),
                cov=w.cov_array(),
                launch=w.launch,
                launch_method="reported",
                powered=math.nan if w.powered is None else w.powered,
                impact=w.impact,
            )
        )
    return out


def _cluster(
    means: Array,
    covs: Array,
    *,
    sources: list[str],
    order: list[str],
    fuser: CovarianceIntersectionFuser,
    gate: float,
    powered: Array,
) -> list[list[int]]:
    """Groups of entry indices, at most one per source, built source by source; a powered
    estimate (probability at least :data:`POWERED`) stays a group of its own."""
    groups: list[list[int]] = []
    fused_m: list[Array] = []
    fused_c: list[Array] = []
    for source in order:
        idx = [k for k, s in enumerate(sources) if s == source]
        taken: dict[int, int] = {}
        if groups:
            d = means[idx][:, None] - np.array(fused_m)[None]
            s = covs[idx][:, None] + np.array(fused_c)[None]
            d2 = np.einsum("abi,abij,abj->ab", d, np.linalg.inv(s), d)
            lone = np.array([powered[g[0]] >= POWERED for g in groups])
            mine = powered[idx] >= POWERED
            ok = (d2 <= gate) & ~mine[:, None] & ~lone[None, :]
            cost = np.where(ok, d2, _FORBIDDEN)
            rows, cols = assign(cost)
            taken = {int(r): int(c) for r, c in zip(rows, cols, strict=True) if cost[r, c] <= gate}
        for r, k in enumerate(idx):
            if r in taken:
                g = taken[r]
                groups[g].append(k)
                fused_m[g], fused_c[g] = fuser.fuse(means[groups[g]], covs[groups[g]])
            else:
                groups.append([k])
                fused_m.append(means[k])
                fused_c.append(covs[k])
    return groups


def _fuse_launch(
    entries: list[_Entry], fuser: CovarianceIntersectionFuser
) -> tuple[GroundEstimate | None, str]:
    known = [e for e in entries if e.launch is not None]
    if not known:
        return None, "none"
    if len(known) == 1:
        return known[0].launch, known[0].launch_method
    points = [e.launch for e in known if e.launch is not None]
    ref = points[0]
    origin = geodetic_to_ecef(ref.lat_deg, ref.lon_deg, 0.0)
    rot = enu_rotation(ref.lat_deg, ref.lon_deg)
    enu = np.array(
        [(rot @ (geodetic_to_ecef(p.lat_deg, p.lon_deg, 0.0) - origin))[:2] for p in points]
    )
    covs = np.array([p.cov_array() for p in points])
    mean, cov = fuser.fuse(enu, covs)
    lat, lon, _ = ecef_to_geodetic(origin + rot.T @ np.array([mean[0], mean[1], 0.0]))
    sigmas = np.array([max(p.t_sigma_s, 1e-3) for p in points])
    weights = 1.0 / sigmas**2
    t = float(np.sum(weights * np.array([p.t for p in points])) / np.sum(weights))
    fused = GroundEstimate.from_arrays(
        t=t, t_sigma_s=float(np.min(sigmas)), lat_deg=float(lat), lon_deg=float(lon), enu_cov=cov
    )
    return fused, "fused"


def fuse_warnings(
    warnings: Sequence[SharedWarning],
    *,
    party: str,
    t: float,
    own: Picture | None = None,
    predictor: EKFPredictor | None = None,
    impact: ImpactPredictor | None = None,
    fuser: CovarianceIntersectionFuser | None = None,
    gate: float = GATE_6DOF_999,
    predict_impact: bool = True,
) -> Picture:
    """A picture at time ``t`` fusing the party's ``own`` picture with received warnings.

    Every estimate is predicted to ``t`` with the unpowered 6-state model (``predictor``);
    a powered one (own track or warning) is never fused with another (:data:`POWERED`);
    estimates are grouped source by source (the own picture first, then originators in
    name order), each source contributing at most one estimate to a group, by a chi-square
    ``gate`` on the state difference; groups are fused by covariance intersection and
    their impact predicted again from the fused state (``impact``; skipped with
    ``predict_impact=False``, the real-time path, where impacts are refreshed at their own
    pace and the members' own impact estimates are kept). Raises InputError if
    the own picture belongs to another party.
    """
    if own is not None and own.party != party:
        raise InputError(f"own picture belongs to {own.party!r}, not {party!r}")
    predictor = predictor or EKFPredictor(motion=BallisticMotion())
    impact = impact or ImpactPredictor(motion=BallisticMotion())
    fuser = fuser or CovarianceIntersectionFuser()
    entries = _entries(own, warnings)
    if not entries:
        return Picture(party=party, t=t, tracks=())
    prior = GaussianBatch(
        mean=np.array([e.mean for e in entries]),
        cov=np.array([e.cov for e in entries]),
        t=np.array([e.t for e in entries]),
    )
    now = predictor.predict(prior, t=t)
    sources = [e.source for e in entries]
    order = [party, *sorted({s for s in sources if s != party})]
    powered = np.array([e.powered for e in entries])
    groups = _cluster(
        now.mean,
        now.cov,
        sources=sources,
        order=order,
        fuser=fuser,
        gate=gate,
        powered=np.where(np.isfinite(powered), powered, 0.0),
    )
    fused = [fuser.fuse(now.mean[g], now.cov[g]) for g in groups]
    means = np.array([m for m, _ in fused])
    covs = np.array([c for _, c in fused])
    hits = impact.impact(means, covs, np.full(len(groups), float(t))) if predict_impact else None
    tracks = []
    for k, g in enumerate(groups):
        members = [entries[i] for i in g]
        launch, method = _fuse_launch(members, fuser)
        own_members = [m for m in members if m.source == party]
        tracks.append(
            PictureTrack(
                track_id=members[0].name,
                t=float(t),
                state=means[k],
                cov=covs[k],
                launch=launch,
                launch_method=method,
                impact=crossing_estimate(hits, k) if hits is not None else _latest_impact(members),
                powered_probability=(own_members or members)[0].powered,
                sources=tuple(sorted({m.source for m in members})),
            )
        )
    return Picture(party=party, t=float(t), tracks=tuple(tracks))


def _latest_impact(members: Sequence[_Entry]) -> GroundEstimate | None:
    """The most recent impact estimate the members carried, if any."""
    known = [m.impact for m in members if m.impact is not None]
    return max(known, key=lambda g: g.t) if known else None

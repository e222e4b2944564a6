"""A party's estimate of one missile under a regime: its own track fused with partners' warnings.

Partners' radar reports, where a regime lets them reach the party, are already inside the
party's own tracker (:mod:`gsomia.analysis.simulation`). Partners' *warnings* (RT-1: the
trajectory state with its covariance and the launch point) arrive here: the warning a
partner held at picture time ``τ`` reaches the party at ``τ + delay``, the party predicts
it to its own picture time with the unpowered model with drag (the party's own inverse
ballistic coefficient for the missile, else the prior), and fuses it with its own
estimate by covariance intersection when the two pass the chi-square gate on their
difference (99.9 %, six degrees of freedom): the tracker's own gate
(:data:`~gsomia.warning.tracking.GATE_6DOF_999`) and
:func:`~gsomia.warning.tracking.covariance_intersection`. When they do not, the party keeps its
own track while it is live (updated within the last 30 s): a partner's track can be far
worse, and a warning sent minutes ago and predicted without drag or lift can be far off in
the atmosphere. An own track coasting since it lost the missile gives way to a warning
resting on a more recent measurement. Where a flow conceals
geometry (RT-3), the warning's covariance is coarsened first
(:func:`~gsomia.warning.tracking.conceal_covariance`).

This is not :func:`~gsomia.warning.tracking.fuse_warnings`, and cannot be without changing
the figures. That function fuses whole pictures in real time: it predicts every estimate
to the picture time with the 6-state ballistic model (no drag), groups them source by
source and keeps an estimate that fails the gate as a track of its own. Here one missile
is scored at every picture time of a run: each distinct pair (own state, warning) is
predicted once, to the later of its two update times, with drag at the party's own
inverse ballistic coefficient, and a pair that fails the gate leaves one estimate (the
live own track, else the newer warning), not two.

A warning carries whether its track is powered (RT-1) and its age (its time). A powered
track is never fused: its state predicted over the delay without thrust says nothing of
where the missile is. A powered partner track the party holds alone is taken with its
flag, so that scoring treats it as the boost-phase warning it is, not as an impact estimate.

A partner shares what it originates: warnings from its own sensors' tracker, not data it
received from others (releasing those would need their originators' consent, JK-5.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from gsomia.analysis.regimes import Flow
from gsomia.analysis.simulation import RoundPicture
from gsomia.warning.tracking import (
    GATE_6DOF_999,
    CoastMotion,
    EKFPredictor,
    GaussianBatch,
    conceal_covariance,
    covariance_intersection,
)

__all__ = ["KAPPA_PRIOR", "KAPPA_SIGMA", "LIVE_S", "Estimate", "fuse_round", "lagged_index"]

Array = NDArray[np.float64]

KAPPA_PRIOR = 1.0 / 3000.0
"""Inverse ballistic coefficient (m²/kg) assumed for an estimate that carries none (a
partner's warning has no drag term): the tracker's own prior for re-entry vehicles."""

KAPPA_SIGMA = 1.0 / 3000.0
"""Its spread (m²/kg): the tracker's prior spread
(:class:`~gsomia.warning.tracking.ReportInitiator`)."""

LIVE_S = 30.0
"""A party's own estimate updated this recently is live: a disagreeing warning never
replaces it."""

POWERED = 0.5
"""A track with at least this probability of powered flight is not fused."""

_PREDICTOR = EKFPredictor(motion=CoastMotion(), max_step=10.0)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Estimate:
    """A party's estimate of one missile at each picture time, after fusion.

    ``present`` (n,); ``t`` (n,) the time of each estimate (its own track's update time,
    or the picture time where estimates were fused); ``state`` (n, 6) ECEF and ``cov``
    (n, 6, 6); ``kappa`` (n,) the inverse ballistic coefficient used to predict the
    impact; ``launch_lat`` and ``launch_lon`` a satellite cue's launch point carried by
    the estimate (NaN without); ``powered`` the party's own track's probability of powered
    flight (zero where only warnings, which do not carry it, hold the missile); ``shared``
    (n,) whether partners' warnings contributed.
    """

    present: NDArray[np.bool_]
    t: Array
    state: Array
    cov: Array
    kappa: Array
    kappa_var: Array
    launch_lat: Array
    launch_lon: Array
    powered: Array
    shared: NDArray[np.bool_]


def lagged_index(grid: Array, delay_s: float) -> NDArray[np.intp]:
    """For each picture time, the index of the latest picture time at least ``delay_s``
    earlier (-1 where there is none)."""
    return np.asarray(np.searchsorted(grid, grid - delay_s + 1e-9, side="right") - 1)


def _own(picture: RoundPicture) -> Estimate:
    kappa = np.where(picture.present, np.clip(picture.mean[:, 9], 0.0, None), KAPPA_PRIOR)
    return Estimate(
        present=picture.present.copy(),
        t=picture.t.copy(),
        state=picture.mean[:, :6].copy(),
        cov=picture.cov[:, :6, :6].copy(),
        kappa=kappa,
        kappa_var=np.where(
            picture.present, np.clip(picture.cov[:, 9, 9], 0.0, None), KAPPA_SIGMA**2
        ),
        launch_lat=picture.cue_lat.copy(),
        launch_lon=picture.cue_lon.copy(),
        powered=np.where(picture.present, picture.powered, 0.0),
        shared=np.zeros(picture.present.shape, dtype=bool),
    )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class _Received:
    """Warnings that have arrived: at picture indices ``k``, sent at picture index ``src``."""

    k: NDArray[np.intp]
    src: NDArray[np.intp]
    t: Array
    mean: Array
    cov: Array
    powered: Array


def _received(picture: RoundPicture, flow: Flow, grid: Array, live: NDArray[np.bool_]) -> _Received:
    """The partner's warnings as they stand when they reach the party (RT-1, RT-3),
    sent and received within the missile's life ``live``."""
    lag = lagged_index(grid, flow.delay_s)
    sent = np.maximum(lag, 0)
    usable = picture.present & _positive_definite(picture.cov[:, :6, :6])
    k = np.nonzero((lag >= 0) & live & live[sent] & usable[sent])[0]
    src = lag[k]
    cov = picture.cov[src, :6, :6]
    if flow.conceal and src.size:
        cov = np.array([conceal_covariance(c) for c in cov])
    return _Received(
        k=k,
        src=src,
        t=picture.t[src],
        mean=picture.mean[src, :6],
        cov=cov,
        powered=picture.powered[src],
    )


def _predict(mean: Array, cov: Array, t: Array, to: Array, kappa: Array) -> tuple[Array, Array]:
    """Six-state estimates predicted with drag at a known ``kappa`` (the coast model's
    ten-state layout with no thrust and κ held)."""
    n = mean.shape[0]
    x = np.concatenate([mean, np.zeros((n, 3)), kappa[:, None]], axis=1)
    p = np.zeros((n, 10, 10))
    p[:, :6, :6] = cov
    now = _PREDICTOR.predict(GaussianBatch(mean=x, cov=p, t=t), t=to)
    return now.mean[:, :6], now.cov[:, :6, :6]


def _positive_definite(cov: Array) -> NDArray[np.bool_]:
    """Which covariances are finite and positive definite (usable to fuse)."""
    ok: NDArray[np.bool_] = np.all(np.isfinite(cov), axis=(1, 2))
    try:
        np.linalg.cholesky(cov[ok])
        return ok
    except np.linalg.LinAlgError:
        pass
    for i in np.nonzero(ok)[0].tolist():
        try:
            np.linalg.cholesky(cov[i])
        except np.linalg.LinAlgError:
            ok[i] = False
    return ok


def _distance2(diff: Array, s: Array) -> Array:
    """Squared Mahalanobis distances; ``inf`` where a sum of covariances is not positive
    definite or not finite (such a pair never passes the gate)."""
    out = np.full(diff.shape[0], np.inf)
    ok = np.all(np.isfinite(s), axis=(1, 2)) & np.all(np.isfinite(diff), axis=1)
    try:
        factor = np.linalg.cholesky(s[ok])
        w = np.linalg.solve(factor, diff[ok][..., None])[..., 0]
        out[ok] = np.einsum("ni,ni->n", w, w)
        return out
    except np.linalg.LinAlgError:
        pass
    for i in np.nonzero(ok)[0].tolist():
        try:
            factor = np.linalg.cholesky(s[i])
        except np.linalg.LinAlgError:
            continue
        w = np.linalg.solve(factor, diff[i])
        out[i] = float(w @ w)
    return out


def _merge(est: Estimate, got: _Received, grid: Array) -> None:
    """Fold received warnings into ``est`` (in place)."""
    both = est.present[got.k]
    alone = got.k[~both]
    est.t[alone], est.state[alone], est.cov[alone] = got.t[~both], got.mean[~both], got.cov[~both]
    est.powered[alone] = got.powered[~both]
    est.present[alone] = True
    est.shared[alone] = True
    # Neither side may be powered: thrust over the delay is in neither prediction.
    both &= (got.powered < POWERED) & (est.powered[got.k] < POWERED)
    kb = got.k[both]
    if kb.size == 0:
        return
    newer = got.t[both] > est.t[kb]
    live = grid[kb] - est.t[kb] <= LIVE_S
    # Each distinct pair (own state, warning) is fused once, at the later of the two
    # update times: in mid-course neither changes for minutes, and a fused estimate
    # predicts the same impact from either time.
    kappa_all = est.kappa[kb]
    key = np.column_stack([est.t[kb], est.state[kb, 0], got.t[both], got.mean[both, 0], kappa_all])
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inverse = np.asarray(inverse, dtype=np.intp).reshape(-1)
    own_t, warn_t = est.t[kb][first], got.t[both][first]
    at = np.maximum(own_t, warn_t)
    kappa = kappa_all[first]
    a_mean, a_cov = _predict(est.state[kb][first], est.cov[kb][first], own_t, at, kappa)
    b_mean, b_cov = _predict(got.mean[both][first], got.cov[both][first], warn_t, at, kappa)
    passed = _distance2(a_mean - b_mean, a_cov + b_cov) <= GATE_6DOF_999
    passed &= _positive_definite(a_cov) & _positive_definite(b_cov)
    gated = passed[inverse]
    if np.any(passed):
        fused_mean = np.full_like(a_mean, np.nan)
        fused_cov = np.full_like(a_cov, np.nan)
        fused_mean[passed], fused_cov[passed], _ = covariance_intersection(
            a_mean[passed], a_cov[passed], b_mean[passed], b_cov[passed]
        )
        g = kb[gated]
        rows = inverse[gated]
        est.t[g], est.state[g], est.cov[g] = at[rows], fused_mean[rows], fused_cov[rows]
        est.shared[g] = True
    take = ~gated & ~live & newer
    g = kb[take]
    est.t[g], est.state[g], est.cov[g] = (
        got.t[both][take],
        got.mean[both][take],
        got.cov[both][take],
    )
    est.shared[g] = True


def fuse_round(
    own: RoundPicture,
    partners: Sequence[tuple[RoundPicture, Flow]],
    grid: Array,
    window: NDArray[np.intp] | None = None,
) -> Estimate:
    """The party's estimate of one missile: ``own`` picture fused with each partner's
    warnings (partners in the given order), over the picture times ``window`` (the
    missile's life; every picture time when ``None``). Outside it nothing is held."""
    live = np.zeros(grid.size, dtype=bool)
    live[np.arange(grid.size) if window is None else window] = True
    est = _own(own)
    est.present[~live] = False
    for picture, flow in partners:
        got = _received(picture, flow, grid, live)
        if got.k.size == 0:
            continue
        take = got.k[np.isnan(est.launch_lat[got.k])]
        src = lagged_index(grid, flow.delay_s)[take]
        est.launch_lat[take] = picture.cue_lat[src]
        est.launch_lon[take] = picture.cue_lon[src]
        _merge(est, got, grid)
    est.kappa[~own.present] = KAPPA_PRIOR
    est.kappa_var[~own.present] = KAPPA_SIGMA**2
    return est

"""A party's estimate of one missile under a regime: its own track fused with partners' warnings.

Partners' radar reports, where a regime lets them reach the party, are already inside the
party's own tracker (:mod:`gsomia.analysis.simulation`). Partners' *warnings* (RT-1: the
trajectory state with its covariance and the launch point) arrive here: the warning a
partner held at picture time ``τ`` reaches the party at ``τ + delay``, the party predicts
it to its own picture time with the unpowered model with drag (the party's own inverse
ballistic coefficient for the missile, else the prior, and that coefficient's variance,
so that a prediction through the atmosphere carries the drag the party does not know),
and fuses it with its own estimate by covariance intersection when the two pass the
chi-square gate on their difference (99.9 %, six degrees of freedom): the tracker's own
gate (:data:`~gsomia.warning.tracking.GATE_6DOF_999`) and
:func:`~gsomia.warning.tracking.covariance_intersection`. When they do not, the party keeps its
own track while it is live (updated within the last 30 s): a partner's track can be far
worse, and a warning sent minutes ago and predicted without lift can be far off in the
atmosphere. Otherwise (an own track coasting since it lost the missile, or no own track:
the estimate held so far is an earlier warning) one of the two stays. Where the older one
was predicted only above the atmosphere (150 km, where the coast model omits no lift), it
is chosen by what each says of itself, not by its age alone: an unpowered estimate before
a powered one; of two unpowered ones the one that places the impact more precisely (the
smaller volume of its position covariance carried, in straight flight, over the time left
to fall: a track started seconds ago knows where the warhead is but not where it goes,
and its six-dimensional covariance can be the smaller while its impact is tens of
kilometres off); of two powered ones the newer. Lower, the newer stays: an older
estimate carried through the air (a KN-23's pull-up glide) can be far off whatever its
covariance says. Taking the
newer warning everywhere let a fresh transient replace a good estimate:
on the lofted flights an originator re-acquiring the warhead after the mid-course gap
holds, for a few seconds, a track whose velocity is hundreds of m/s off (sometimes flagged
powered), and the 2023 link delivered it 5 s later in place of the GSOMIA's consistent
track (docs/value.md §6). Where a flow conceals geometry (RT-3), the warning's covariance
is coarsened first (:func:`~gsomia.warning.tracking.conceal_covariance`).

This is not :func:`~gsomia.warning.tracking.fuse_warnings`, and cannot be without changing
the figures. That function fuses whole pictures in real time: it predicts every estimate
to the picture time with the 6-state ballistic model (no drag), groups them source by
source and keeps an estimate that fails the gate as a track of its own. Here one missile
is scored at every picture time of a run: each distinct pair (own state, warning) is
predicted once, to the later of its two update times, with drag at the party's own
inverse ballistic coefficient, and a pair that fails the gate leaves one estimate (the
live own track, else the one chosen as above), not two.

A warning carries whether its track is powered (RT-1) and its age (its time). A powered
track is never fused: its state predicted over the delay without thrust says nothing of
where the missile is. A powered partner track the party holds alone is taken with its
flag, so that scoring treats it as the boost-phase warning it is, not as an impact estimate.

A partner shares what it originates: warnings from its own sensors' tracker, not data it
received from others (releasing those would need their originators' consent, JK-5.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from gsomia.analysis.regimes import Flow
from gsomia.analysis.simulation import RoundPicture
from gsomia.warning.geo.frames import MEAN_RADIUS, ecef_to_geodetic
from gsomia.warning.physics.dynamics import GM
from gsomia.warning.tracking import (
    GATE_6DOF_999,
    CoastMotion,
    EKFPredictor,
    GaussianBatch,
    conceal_covariance,
    covariance_intersection,
)

__all__ = [
    "KAPPA_PRIOR",
    "KAPPA_SIGMA",
    "LIVE_S",
    "POWERED",
    "Estimate",
    "Predictions",
    "fuse_round",
    "lagged_index",
]

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

_EXO_M = 150_000.0
"""Above this altitude (m) the coast model omits nothing that matters (no lift: the
footprints' ceiling, :func:`~gsomia.warning.tracking.lift_envelope`): an older estimate
predicted there may be chosen over a newer one for what it says of itself."""

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


def _predict(
    mean: Array, cov: Array, t: Array, to: Array, *, kappa: Array, kappa_var: Array
) -> tuple[Array, Array]:
    """Six-state estimates predicted with drag at ``kappa`` and its variance ``kappa_var``
    (the coast model's ten-state layout with no thrust and κ held): through the atmosphere
    the covariance grows with the drag the party does not know."""
    n = mean.shape[0]
    x = np.concatenate([mean, np.zeros((n, 3)), kappa[:, None]], axis=1)
    p = np.zeros((n, 10, 10))
    p[:, :6, :6] = cov
    p[:, 9, 9] = kappa_var
    now = _PREDICTOR.predict(GaussianBatch(mean=x, cov=p, t=t), t=to)
    return now.mean[:, :6], now.cov[:, :6, :6]


@dataclass(slots=True, eq=False)
class Predictions:
    """The predictions of :func:`_predict` made so far, by their exact inputs.

    Within one run the same estimate is predicted to the same time again and again: by
    every regime and partner that pairs it with a warning of the same age (a track in
    mid-course keeps its update time for minutes). Each row is predicted on its own, so
    a row predicted in an earlier batch is the same numbers, and is taken from here.
    """

    _done: dict[bytes, tuple[Array, Array]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self._done)

    def predict(
        self, mean: Array, cov: Array, t: Array, to: Array, *, kappa: Array, kappa_var: Array
    ) -> tuple[Array, Array]:
        """As :func:`_predict`; rows not seen before are predicted together."""
        n = mean.shape[0]
        inputs = np.column_stack([mean, cov.reshape(n, -1), t, to, kappa, kappa_var])
        keys = [row.tobytes() for row in inputs]
        missing: dict[bytes, int] = {}
        for i, key in enumerate(keys):
            if key not in self._done:
                missing.setdefault(key, i)
        if missing:
            rows = np.fromiter(missing.values(), dtype=np.intp, count=len(missing))
            new_mean, new_cov = _predict(
                mean[rows], cov[rows], t[rows], to[rows], kappa=kappa[rows],
                kappa_var=kappa_var[rows],
            )  # fmt: skip
            for j, key in enumerate(missing):
                self._done[key] = (new_mean[j], new_cov[j])
        found = [self._done[key] for key in keys]
        return (
            np.array([m for m, _ in found]).reshape(n, 6),
            np.array([c for _, c in found]).reshape(n, 6, 6),
        )


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


def _merge(
    est: Estimate, got: _Received, own_live: NDArray[np.bool_], predictions: Predictions
) -> None:
    """Fold received warnings into ``est`` (in place); ``own_live`` marks the picture
    times where ``est`` still rests on the party's own live track (updated in place);
    ``predictions`` makes (or recalls) the predictions."""
    both = est.present[got.k]
    alone = got.k[~both]
    est.t[alone], est.state[alone], est.cov[alone] = got.t[~both], got.mean[~both], got.cov[~both]
    est.powered[alone] = got.powered[~both]
    est.present[alone] = True
    est.shared[alone] = True
    kb = got.k[both]
    if kb.size == 0:
        return
    w_t, w_mean, w_cov, w_powered = got.t[both], got.mean[both], got.cov[both], got.powered[both]
    # Neither side may be powered to be fused: thrust over the delay is in neither
    # prediction. Both are still predicted, to choose between them.
    unpowered = (w_powered < POWERED) & (est.powered[kb] < POWERED)
    # Each distinct pair (own state, warning) is predicted once, to the later of the two
    # update times: in mid-course neither changes for minutes, and a fused estimate
    # predicts the same impact from either time.
    kappa_all, kappa_var_all = est.kappa[kb], est.kappa_var[kb]
    key = np.column_stack(
        [est.t[kb], est.state[kb, 0], w_t, w_mean[:, 0], kappa_all, kappa_var_all, unpowered]
    )
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inverse = np.asarray(inverse, dtype=np.intp).reshape(-1)
    own_t, warn_t = est.t[kb][first], w_t[first]
    at = np.maximum(own_t, warn_t)
    kappa, kappa_var = kappa_all[first], kappa_var_all[first]
    a_mean, a_cov = predictions.predict(
        est.state[kb][first], est.cov[kb][first], own_t, at, kappa=kappa, kappa_var=kappa_var
    )
    b_mean, b_cov = predictions.predict(
        w_mean[first], w_cov[first], warn_t, at, kappa=kappa, kappa_var=kappa_var
    )
    a_ok, b_ok = _positive_definite(a_cov), _positive_definite(b_cov)
    passed = unpowered[first] & a_ok & b_ok
    passed &= _distance2(a_mean - b_mean, a_cov + b_cov) <= GATE_6DOF_999
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
    # Two estimates that cannot be fused: the party's own live track stays. Otherwise an
    # unpowered estimate goes before a powered one; of two unpowered ones the more precise
    # at the common time (the smaller spread of the impact its covariance implies), not
    # the newer: a warning that has just arrived can be an originator's
    # transient (a track re-acquired after the mid-course gap, its velocity hundreds of m/s
    # off, or flagged powered), while an older estimate predicted to its time carries its
    # age, and its drag's uncertainty, in its covariance. Of two powered ones the newer,
    # since a powered state predicted without thrust says nothing.
    # That holds only where the prediction omits nothing but drag: above the atmosphere.
    # An older estimate carried through the air (a KN-23's pull-up glide, lift the coast
    # model does not fly) can be far off whatever its covariance says: there the newer one
    # stays, as before.
    a_powered = (est.powered[kb] >= POWERED)[first]
    b_powered = (w_powered >= POWERED)[first]
    to_go = _time_to_ground(0.5 * (a_mean + b_mean))
    precise = _impact_spread(b_cov, b_ok, to_go) < _impact_spread(a_cov, a_ok, to_go)
    newer = warn_t > own_t
    by_content = np.where(a_powered == b_powered, np.where(a_powered, newer, precise), a_powered)
    older_mean = np.where(newer[:, None], est.state[kb][first], w_mean[first])
    older_now = np.where(newer[:, None], a_mean, b_mean)
    exo = (_altitude(older_mean) >= _EXO_M) & (_altitude(older_now) >= _EXO_M)
    better = np.where(exo, by_content, newer)
    take = ~gated & ~own_live[kb] & better[inverse]
    g = kb[take]
    est.t[g], est.state[g], est.cov[g] = w_t[take], w_mean[take], w_cov[take]
    est.powered[g] = w_powered[take]
    est.shared[g] = True
    own_live[g] = False


def _altitude(state: Array) -> Array:
    """Geodetic altitudes (m) of ECEF states (n, 6); NaN where a state is not finite."""
    out = np.full(state.shape[0], np.nan)
    ok = np.all(np.isfinite(state[:, :3]), axis=1)
    if np.any(ok):
        out[ok] = ecef_to_geodetic(state[ok, :3])[2]
    return out


def _time_to_ground(state: Array) -> Array:
    """Seconds until ECEF states (n, 6) would reach the ground in free fall under their
    own gravity (no drag, no curvature): the horizon over which an estimate's velocity
    error becomes impact error. Zero for a state not finite or already down."""
    r = np.linalg.norm(state[:, :3], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        v_up = np.einsum("ni,ni->n", state[:, :3], state[:, 3:6]) / r
        g = GM / r**2
        height = np.maximum(r - MEAN_RADIUS, 0.0)
        out = (v_up + np.sqrt(v_up**2 + 2.0 * g * height)) / g
    return np.where(np.isfinite(out), np.maximum(out, 0.0), 0.0)


def _impact_spread(cov: Array, ok: NDArray[np.bool_], to_go: Array) -> Array:
    """How precisely each estimate places the impact: the log-determinant of its position
    covariance carried ``to_go`` seconds ahead in straight flight (P_pp + T(P_pv + P_vp)
    + T² P_vv); ``inf`` where a covariance is not usable. A track started seconds ago
    knows its position well and its velocity badly, an older one the reverse; the 6-D
    determinant weighs them alike, the impact does not."""
    out = np.full(cov.shape[0], np.inf)
    if np.any(ok):
        c, t = cov[ok], to_go[ok][:, None, None]
        pos = c[:, :3, :3] + t * (c[:, :3, 3:] + c[:, 3:, :3]) + t**2 * c[:, 3:, 3:]
        sign, logdet = np.linalg.slogdet(pos)
        out[ok] = np.where(sign > 0, logdet, np.inf)
    return out


def fuse_round(
    own: RoundPicture,
    partners: Sequence[tuple[RoundPicture, Flow]],
    grid: Array,
    window: NDArray[np.intp] | None = None,
    *,
    predictions: Predictions | None = None,
) -> Estimate:
    """The party's estimate of one missile: ``own`` picture fused with each partner's
    warnings (partners in the given order), over the picture times ``window`` (the
    missile's life; every picture time when ``None``). Outside it nothing is held.
    ``predictions`` recalls predictions already made in the run (the same numbers)."""
    predictions = predictions if predictions is not None else Predictions()
    live = np.zeros(grid.size, dtype=bool)
    live[np.arange(grid.size) if window is None else window] = True
    est = _own(own)
    est.present[~live] = False
    own_live = est.present & (grid - est.t <= LIVE_S)
    for picture, flow in partners:
        got = _received(picture, flow, grid, live)
        if got.k.size == 0:
            continue
        take = got.k[np.isnan(est.launch_lat[got.k])]
        src = lagged_index(grid, flow.delay_s)[take]
        est.launch_lat[take] = picture.cue_lat[src]
        est.launch_lon[take] = picture.cue_lon[src]
        _merge(est, got, own_live, predictions)
    est.kappa[~own.present] = KAPPA_PRIOR
    est.kappa_var[~own.present] = KAPPA_SIGMA**2
    return est

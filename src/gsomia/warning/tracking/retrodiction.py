"""Out-of-sequence reports: update a track with a report older than its last update.

A report that arrives after later ones have been processed (a partner's flow with a long
latency, a relay) is not dropped: each track is retrodicted to the report's time, the
report is gated against the retrodiction, and the nearest track that passes is updated at
its current time through the cross-covariance of the present and retrodicted states. This
is the one-step-lag algorithm "B1" of Bar-Shalom (IEEE Trans. AES 38(3), 2002) in the
form that neglects the process noise's correlation with the present estimate: the
retrodicted covariance keeps the process noise over the lag, ``P_d = F P Fᵀ + Q``, which
errs on the side of a weaker update. With an IMM each mode is retrodicted through its own
model; mode probabilities are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gsomia.warning.sensors.measurements import RadarReport, radar_h_and_jacobian
from gsomia.warning.tracking._linalg import Array, inv3_sym, symmetrise, transpose
from gsomia.warning.tracking.models import AUGMENTED_NDIM, KAPPA_INDEX, MotionModel, transition
from gsomia.warning.tracking.states import GaussianBatch, MeasurementBatch, MixtureBatch
from gsomia.warning.tracking.updaters import innovation

__all__ = ["GATE_3DOF_9999", "Retrodiction", "retrodict_update"]

GATE_3DOF_9999 = 21.11
"""χ² (3 dof) at 99.99 %: the tracker's own association gate."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Retrodiction:
    """The result of one out-of-sequence report: ``state`` the updated batch and ``track``
    the index of the updated track (-1 when no track passed the gate)."""

    state: GaussianBatch | MixtureBatch
    track: int


def _flat(state: GaussianBatch | MixtureBatch) -> tuple[Array, Array, Array, int]:
    if isinstance(state, MixtureBatch):
        n, m, k = state.mean.shape
        return state.mean.reshape(n * m, k), state.cov.reshape(n * m, k, k), state.t, m
    return state.mean, state.cov, state.t, 1


def retrodict_update(
    state: GaussianBatch | MixtureBatch,
    report: RadarReport,
    *,
    motions: tuple[MotionModel, ...],
    max_step: float = 5.0,
    gate: float = GATE_3DOF_9999,
) -> Retrodiction:
    """Fold one report older than the tracks' times into the nearest gated track."""
    mean, cov, t, m = _flat(state)
    n = len(state)
    if n == 0:
        return Retrodiction(state=state, track=-1)
    batch = MeasurementBatch.from_reports([report])
    lag = np.repeat(report.t - t, m)
    x_d = np.empty_like(mean)
    f_b = np.empty_like(cov)
    q_b = np.empty_like(cov)
    for j, motion in enumerate(motions):
        idx = np.arange(n) * m + j
        x_d[idx], f_b[idx], q_b[idx] = transition(motion, mean[idx], lag[idx], max_step=max_step)
    p_d = symmetrise(f_b @ cov @ transpose(f_b) + q_b)
    site = np.repeat(batch.site, n * m, axis=0)
    rot = np.repeat(batch.rotation, n * m, axis=0)
    z_hat, h = radar_h_and_jacobian(x_d, site, rot)
    s_inv, _ = inv3_sym(h @ p_d @ transpose(h) + batch.R[0])
    nu = innovation(np.repeat(batch.z, n * m, axis=0), z_hat)
    d2 = np.einsum("ni,nij,nj->n", nu, s_inv, nu).reshape(n, m).min(axis=1)
    best = int(np.argmin(d2))
    if not d2[best] <= gate:
        return Retrodiction(state=state, track=-1)
    rows = np.arange(best * m, best * m + m)
    p_kd = cov[rows] @ transpose(f_b[rows])
    gain = p_kd @ transpose(h[rows]) @ s_inv[rows]
    new_mean, new_cov = mean.copy(), cov.copy()
    new_mean[rows] = mean[rows] + (gain @ nu[rows][:, :, None])[:, :, 0]
    s = np.linalg.inv(s_inv[rows])
    new_cov[rows] = symmetrise(cov[rows] - gain @ s @ transpose(gain))
    if mean.shape[1] == AUGMENTED_NDIM:
        new_mean[rows, KAPPA_INDEX] = np.maximum(new_mean[rows, KAPPA_INDEX], 0.0)
    if isinstance(state, MixtureBatch):
        k = mean.shape[1]
        out: GaussianBatch | MixtureBatch = MixtureBatch(
            mean=new_mean.reshape(n, m, k),
            cov=new_cov.reshape(n, m, k, k),
            weight=state.weight,
            t=state.t,
        )
    else:
        out = GaussianBatch(mean=new_mean, cov=new_cov, t=state.t)
    return Retrodiction(state=out, track=best)

"""Initiators: tentative tracks from unclaimed radar reports, and tracks from launch cues.

:class:`ReportInitiator` places a track at the report's position (the radar measurement
inverted, its covariance carried through the inverse's Jacobian) with an uninformative
velocity, unless the report lies near an existing track: then it is taken for a
separated stage, a re-entry vehicle or debris, and starts with that track's velocity and
a spread for the separation impulse. :class:`CueInitiator` starts a track on the launch
pad from an early-warning satellite's cue, in the powered (boost) mode; the cue track's
prediction only has to catch the first radar report, after which the track restarts from
that report (:meth:`ReportInitiator.restart`) and keeps the cue as its launch point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gsomia.errors import InputError
from gsomia.warning.geo.frames import ecef_to_geodetic, enu_rotation, geodetic_to_ecef, ground_range
from gsomia.warning.sensors.measurements import LaunchCue
from gsomia.warning.tracking._linalg import Array, Index, transpose
from gsomia.warning.tracking.impact import ImpactPredictor
from gsomia.warning.tracking.models import AUGMENTED_NDIM, BallisticMotion
from gsomia.warning.tracking.states import GaussianBatch, MeasurementBatch

__all__ = ["CueInitiator", "ReportInitiator", "cue_matches", "report_positions"]


def report_positions(measurements: MeasurementBatch) -> tuple[Array, Array]:
    """ECEF positions (N, 3) of radar reports and their covariances (N, 3, 3).

    The inverse of :func:`gsomia.warning.sensors.measurements.radar_h`, linearised for the
    covariance.
    """
    rng, az, el = measurements.z[:, 0], measurements.z[:, 1], measurements.z[:, 2]
    ce, se, ca, sa = np.cos(el), np.sin(el), np.cos(az), np.sin(az)
    enu = np.stack([rng * ce * sa, rng * ce * ca, rng * se], axis=-1)
    jac = np.empty((len(measurements), 3, 3))
    jac[:, 0] = np.stack([ce * sa, rng * ce * ca, -rng * se * sa], axis=-1)
    jac[:, 1] = np.stack([ce * ca, -rng * ce * sa, -rng * se * ca], axis=-1)
    jac[:, 2] = np.stack([se, np.zeros_like(se), rng * ce], axis=-1)
    to_ecef = transpose(measurements.rotation)
    position = measurements.site + (to_ecef @ enu[:, :, None])[:, :, 0]
    j = to_ecef @ jac
    return position, j @ measurements.R @ transpose(j)


def _layout(ndim: int) -> None:
    if ndim not in (6, AUGMENTED_NDIM):
        raise InputError(f"state layout must have 6 or {AUGMENTED_NDIM} states, not {ndim}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportInitiator:
    """Tentative tracks from reports no track claimed.

    ``velocity_sigma`` (m/s per axis) is the spread of an unknown velocity: a ballistic
    missile flies at 1–7 km/s, so 4 km/s about zero covers it. A report within
    ``spawn_radius_m`` of an existing track starts with that track's velocity (and thrust
    and ``kappa`` in the 10-state layout) and ``spawn_velocity_sigma`` for the
    separation. The prior probability of powered flight is ``powered_low`` below
    ``powered_ceiling_m`` and ``powered_high_altitude`` above. Raises InputError for a
    layout other than 6 or 10 states.
    """

    ndim: int = 6
    velocity_sigma: float = 4000.0
    spawn_radius_m: float = 3000.0
    spawn_velocity_sigma: float = 60.0
    thrust_sigma: float = 30.0
    kappa_mean: float = 1.0 / 3000.0
    kappa_sigma: float = 1.0 / 3000.0
    powered_ceiling_m: float = 100e3
    powered_low: float = 0.5
    powered_high_altitude: float = 0.05

    def __post_init__(self) -> None:
        _layout(self.ndim)

    def initiate(
        self, measurements: MeasurementBatch, *, neighbours: GaussianBatch
    ) -> tuple[GaussianBatch, Array]:
        """New Gaussians at the reports' times and their prior probability of powered flight."""
        n = len(measurements)
        position, pos_cov = report_positions(measurements)
        mean = np.zeros((n, self.ndim))
        cov = np.zeros((n, self.ndim, self.ndim))
        mean[:, :3] = position
        cov[:, :3, :3] = pos_cov
        cov[:, 3:6, 3:6] = np.eye(3) * self.velocity_sigma**2
        if self.ndim == AUGMENTED_NDIM:
            cov[:, 6:9, 6:9] = np.eye(3) * self.thrust_sigma**2
            mean[:, 9] = self.kappa_mean
            cov[:, 9, 9] = self.kappa_sigma**2
        _, _, altitude = ecef_to_geodetic(position)
        powered = np.where(
            altitude < self.powered_ceiling_m, self.powered_low, self.powered_high_altitude
        )
        parent = self._parents(position, neighbours)
        child = np.nonzero(parent >= 0)[0]
        if child.size:
            src = neighbours.take(parent[child])
            mean[child, 3:] = src.mean[:, 3:]
            cov[child, 3:, 3:] = src.cov[:, 3:, 3:]
            cov[child, 3:6, 3:6] += np.eye(3) * self.spawn_velocity_sigma**2
        return GaussianBatch(mean=mean, cov=cov, t=measurements.t.copy()), powered

    def restart(self, measurements: MeasurementBatch, *, prior: GaussianBatch) -> GaussianBatch:
        """Tracks re-started at their first report, keeping the rest of a prior (a cue track).

        The position comes from the report; velocity, thrust and ``kappa`` keep the prior's
        mean and covariance, without its correlation to the old position.
        """
        position, pos_cov = report_positions(measurements)
        mean = prior.mean.copy()
        cov = prior.cov.copy()
        mean[:, :3] = position
        cov[:, :3, :] = 0.0
        cov[:, :, :3] = 0.0
        cov[:, :3, :3] = pos_cov
        return GaussianBatch(mean=mean, cov=cov, t=measurements.t.copy())

    def _parents(self, position: Array, neighbours: GaussianBatch) -> Array:
        """Index of the nearest existing track within the spawn radius, or -1."""
        if len(neighbours) == 0 or self.spawn_radius_m <= 0:
            return np.full(position.shape[0], -1)
        gap = np.linalg.norm(position[:, None] - neighbours.mean[None, :, :3], axis=-1)
        nearest = np.argmin(gap, axis=1)
        close = gap[np.arange(position.shape[0]), nearest] <= self.spawn_radius_m
        return np.where(close, nearest, -1)


@dataclass(frozen=True, slots=True, kw_only=True)
class CueInitiator:
    """Tracks on the launch pad from satellite launch cues, in the 10-state layout.

    The track starts at the cue's launch time and point (horizontal spread from the cue,
    ``vertical_sigma_m`` up and down), at rest on the rotating Earth, with net thrust
    ``thrust_mean`` (m/s²) straight up and ``thrust_sigma`` per axis. Its prior
    probability of powered flight is ``powered``.

    A cue that arrives after radar reports already started a track for the launch is
    attached to that track instead (:meth:`match`): the track's state flown back to the
    ground must land within three cue sigmas plus ``match_radius_m`` of the cue and
    within ``match_window_s`` of its launch time. The margins are wide because flying a
    boosting or just-burnt-out state back ballistically lands tens of kilometres and
    tens of seconds off the real launch.
    """

    vertical_sigma_m: float = 200.0
    velocity_sigma: float = 20.0
    thrust_mean: float = 20.0
    thrust_sigma: float = 15.0
    kappa_mean: float = 1.0 / 3000.0
    kappa_sigma: float = 1.0 / 3000.0
    powered: float = 0.95
    match_radius_m: float = 60e3
    match_window_s: float = 120.0

    @property
    def ndim(self) -> int:
        """Ten: cue tracks need the thrust states."""
        return AUGMENTED_NDIM

    def initiate(self, cues: Sequence[LaunchCue]) -> tuple[GaussianBatch, Array]:
        """One Gaussian per cue at its launch time, and the prior of powered flight."""
        n = len(cues)
        mean = np.zeros((n, AUGMENTED_NDIM))
        cov = np.zeros((n, AUGMENTED_NDIM, AUGMENTED_NDIM))
        for k, cue in enumerate(cues):
            rot = enu_rotation(cue.lat_deg, cue.lon_deg)
            mean[k, :3] = geodetic_to_ecef(cue.lat_deg, cue.lon_deg, 0.0)
            mean[k, 6:9] = rot.T @ np.array([0.0, 0.0, self.thrust_mean])
            sigma_h = max(cue.position_sigma_m, 1.0)
            enu_cov = np.diag([sigma_h**2, sigma_h**2, self.vertical_sigma_m**2])
            cov[k, :3, :3] = rot.T @ enu_cov @ rot
        cov[:, 3:6, 3:6] = np.eye(3) * self.velocity_sigma**2
        cov[:, 6:9, 6:9] = np.eye(3) * self.thrust_sigma**2
        mean[:, 9] = self.kappa_mean
        cov[:, 9, 9] = self.kappa_sigma**2
        times = np.array([cue.launch_t for cue in cues], dtype=float)
        return GaussianBatch(mean=mean, cov=cov, t=times), np.full(n, self.powered)

    def match(self, cues: Sequence[LaunchCue], tracks: GaussianBatch) -> Index:
        """For each cue, the index of the existing track it belongs to, or -1.

        Each track takes at most one cue (the nearest in launch point).
        """
        out = np.full(len(cues), -1, dtype=np.intp)
        if len(tracks) == 0 or not cues:
            return out
        tiny = np.broadcast_to(np.eye(6) * 1e-6, (len(tracks), 6, 6))
        back = ImpactPredictor(motion=BallisticMotion()).launch(tracks.mean[:, :6], tiny, tracks.t)
        taken: set[int] = set()
        for k, cue in enumerate(cues):
            gap = np.where(
                back.ok,
                ground_range(
                    np.nan_to_num(back.lat_deg),
                    np.nan_to_num(back.lon_deg),
                    cue.lat_deg,
                    cue.lon_deg,
                ),
                np.inf,
            )
            fits = (gap <= 3.0 * cue.position_sigma_m + self.match_radius_m) & (
                np.abs(np.nan_to_num(back.t, nan=np.inf) - cue.launch_t) <= self.match_window_s
            )
            fits[list(taken)] = False
            if np.any(fits):
                out[k] = int(np.argmin(np.where(fits, gap, np.inf)))
                taken.add(int(out[k]))
        return out


def cue_matches(cue: LaunchCue, other: LaunchCue, *, window_s: float = 30.0) -> bool:
    """Whether two cues plausibly report the same launch (3-sigma and a time window)."""
    gap = float(ground_range(cue.lat_deg, cue.lon_deg, other.lat_deg, other.lon_deg))
    sigma = math.hypot(cue.position_sigma_m, other.position_sigma_m)
    return gap <= 3.0 * sigma and abs(cue.launch_t - other.launch_t) <= window_s

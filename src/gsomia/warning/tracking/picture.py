"""The picture a party holds: its tracks with launch point, state, impact point and times.

A :class:`Picture` is a snapshot at one time, built from a tracker's confirmed tracks by
:func:`picture_from_tracks` or from received warnings by
:func:`gsomia.warning.tracking.fusion.fuse_warnings`. Ground points (launch and impact)
are :class:`GroundEstimate` values: latitude, longitude and time with a 2×2 East-North
covariance, its ellipse at a stated confidence, and the time's standard deviation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gsomia.errors import UnknownName
from gsomia.warning.sensors.measurements import LaunchCue
from gsomia.warning.tracking._linalg import Array, ellipse_axes
from gsomia.warning.tracking.base import S
from gsomia.warning.tracking.impact import GroundCrossing, ImpactPredictor
from gsomia.warning.tracking.tracker import PRUNE_WEIGHT, Tracker, TrackSet

__all__ = [
    "GroundEstimate",
    "Picture",
    "PictureTrack",
    "crossing_estimate",
    "cue_estimate",
    "picture_from_tracks",
]

Cov2 = tuple[tuple[float, float], tuple[float, float]]


@dataclass(frozen=True, slots=True, kw_only=True)
class GroundEstimate:
    """A point on the ground (launch or impact) with its uncertainty and time.

    ``enu_cov`` is the East-North covariance (m²) at the point; ``t`` the time (s) with
    standard deviation ``t_sigma_s``. ``confidence`` is the probability the ellipse
    properties enclose.
    """

    t: float
    t_sigma_s: float
    lat_deg: float
    lon_deg: float
    enu_cov: Cov2
    confidence: float = 0.95

    @classmethod
    def from_arrays(
        cls, *, t: float, t_sigma_s: float, lat_deg: float, lon_deg: float, enu_cov: Array
    ) -> GroundEstimate:
        """Build from floats and a 2×2 array."""
        c = np.asarray(enu_cov, dtype=float)
        cov: Cov2 = ((float(c[0, 0]), float(c[0, 1])), (float(c[1, 0]), float(c[1, 1])))
        return cls(
            t=float(t),
            t_sigma_s=float(t_sigma_s),
            lat_deg=float(lat_deg),
            lon_deg=float(lon_deg),
            enu_cov=cov,
        )

    def cov_array(self) -> Array:
        """The East-North covariance as a 2×2 array."""
        return np.array(self.enu_cov, dtype=float)

    def ellipse(self) -> tuple[float, float, float]:
        """Semi-major and semi-minor axes (m) and the major axis's azimuth (degrees)."""
        major, minor, orientation = ellipse_axes(self.cov_array()[None], confidence=self.confidence)
        return float(major[0]), float(minor[0]), float(orientation[0])

    @property
    def semi_major_m(self) -> float:
        """Semi-major axis of the confidence ellipse (m)."""
        return self.ellipse()[0]

    @property
    def semi_minor_m(self) -> float:
        """Semi-minor axis of the confidence ellipse (m)."""
        return self.ellipse()[1]

    @property
    def orientation_deg(self) -> float:
        """Azimuth of the major axis, degrees clockwise from north in [0, 180)."""
        return self.ellipse()[2]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class PictureTrack:
    """One track in a picture: ECEF ``state`` (6,) and ``cov`` (6, 6) at time ``t``.

    ``launch`` is the launch point estimate and ``launch_method`` how it was found
    (``cue``, ``back-propagated``, ``reported`` by a partner, ``fused``, or ``none``);
    ``impact`` is the predicted impact point, assuming no further thrust (the
    instantaneous impact point while ``powered_probability`` is high; NaN when unknown,
    as for a partner's warning). ``sources`` are the parties whose data it carries.
    """

    track_id: str
    t: float
    state: Array
    cov: Array
    launch: GroundEstimate | None
    launch_method: str
    impact: GroundEstimate | None
    powered_probability: float
    sources: tuple[str, ...]

    @property
    def time_to_impact_s(self) -> float | None:
        """Seconds from the picture's time to the predicted impact, if there is one."""
        return None if self.impact is None else self.impact.t - self.t


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Picture:
    """What one party knows at time ``t``: its tracks."""

    party: str
    t: float
    tracks: tuple[PictureTrack, ...]

    def track(self, track_id: str) -> PictureTrack:
        """The track with this id. Raises UnknownName if there is none."""
        for track in self.tracks:
            if track.track_id == track_id:
                return track
        raise UnknownName(kind="track", name=track_id, known=[t.track_id for t in self.tracks])


def crossing_estimate(crossing: GroundCrossing, k: int) -> GroundEstimate | None:
    """Track ``k`` of a batch of ground crossings as an estimate, or None if it failed."""
    if not bool(crossing.ok[k]):
        return None
    return GroundEstimate.from_arrays(
        t=float(crossing.t[k]),
        t_sigma_s=float(crossing.t_sigma[k]),
        lat_deg=float(crossing.lat_deg[k]),
        lon_deg=float(crossing.lon_deg[k]),
        enu_cov=crossing.enu_cov[k],
    )


def cue_estimate(cue: LaunchCue, *, t_sigma_s: float = 2.0) -> GroundEstimate:
    """A satellite cue as a launch point estimate (circular, the cue's own sigma)."""
    var = cue.position_sigma_m**2
    return GroundEstimate(
        t=cue.launch_t,
        t_sigma_s=t_sigma_s,
        lat_deg=cue.lat_deg,
        lon_deg=cue.lon_deg,
        enu_cov=((var, 0.0), (0.0, var)),
    )


def picture_from_tracks(
    tracks: TrackSet[S],
    *,
    tracker: Tracker[S],
    party: str,
    t: float,
    impact: ImpactPredictor | None,
) -> Picture:
    """The party's picture at time ``t`` from its confirmed tracks.

    With ``impact=None`` the ground points (impact, back-propagated launch) are left out:
    the fast path of a real-time feed, whose ground points are refreshed at their own pace.

    Tracks are predicted to ``t`` and collapsed without modes lighter than 1 %; tracks the
    tracker's deleter would drop at ``t`` (impacted, stale, lost) are left out. Impact
    points come from ``impact`` (its motion model must have the tracks' layout); launch
    points from the track's cue, else by back-propagating the present state.
    """
    confirmed = tracks.select(np.nonzero(tracks.confirmed)[0])
    if len(confirmed) == 0:
        return Picture(party=party, t=t, tracks=())
    predicted = tracker.predictor.predict(confirmed.state, t=t)
    gone = tracker.deleter.delete(
        predicted.collapse(min_weight=PRUNE_WEIGHT),
        last_update=confirmed.last_update,
        hits=confirmed.hits,
        now=t,
    )
    keep = np.nonzero(~gone)[0]
    confirmed, predicted = confirmed.select(keep), predicted.take(keep)
    if len(confirmed) == 0:
        return Picture(party=party, t=t, tracks=())
    gaussian = predicted.collapse(min_weight=PRUNE_WEIGHT)
    powered = tracker.predictor.powered_probability(predicted)
    hits = launches = None
    if impact is not None:
        hits = impact.impact(gaussian.mean, gaussian.cov, gaussian.t)
        launches = impact.launch(gaussian.mean, gaussian.cov, gaussian.t)
    out = []
    for k in range(len(confirmed)):
        cue = confirmed.cue[k]
        back = crossing_estimate(launches, k) if launches is not None else None
        launch = cue_estimate(cue) if cue is not None else back
        method = "cue" if cue is not None else "back-propagated"
        method = method if launch is not None else "none"
        out.append(
            PictureTrack(
                track_id=f"{party}-{int(confirmed.track_id[k])}",
                t=t,
                state=gaussian.mean[k, :6].copy(),
                cov=gaussian.cov[k, :6, :6].copy(),
                launch=launch,
                launch_method=method,
                impact=crossing_estimate(hits, k) if hits is not None else None,
                powered_probability=float(powered[k]),
                sources=tuple(sorted(confirmed.parties[k] | {party})),
            )
        )
    return Picture(party=party, t=t, tracks=tuple(out))

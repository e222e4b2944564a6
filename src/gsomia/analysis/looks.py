"""A party's look scheduler, fed what its own tracker knows.

The scheduler itself is a sensor-side role
(:class:`~gsomia.warning.sensors.scheduling.LookScheduler`); here it gets the simulation's
intervals, and each step the party's mature tracks (``mature_hits`` updates) as
:class:`~gsomia.warning.sensors.scheduling.KnownTracks`, collapsed as the tracker collapses
them for its pictures.
"""

from __future__ import annotations

import numpy as np

from gsomia.analysis.assumptions import SimulationAssumptions
from gsomia.warning.sensors.scheduling import KnownTracks, LookGeometry, LookScheduler
from gsomia.warning.tracking import PRUNE_WEIGHT, MixtureBatch, Tracker, TrackSet

__all__ = ["MATURE_HITS", "known_tracks", "look_scheduler"]

MATURE_HITS = 6
"""Updates after which a track's looks are rationed rather than all used to acquire it."""


def look_scheduler(
    sim: SimulationAssumptions, *, geometry: LookGeometry | None = None
) -> LookScheduler:
    """A fresh scheduler with the simulation's look intervals; ``geometry`` shares the
    reports' worked-out positions with the other schedulers of the run."""
    return LookScheduler(
        dense_s=sim.dense_s,
        boost_s=sim.boost_s,
        update_s=sim.update_s,
        settle_sigma_ms=sim.settle_sigma_ms,
        geometry=geometry if geometry is not None else LookGeometry(),
    )


def known_tracks(
    tracks: TrackSet[MixtureBatch],
    tracker: Tracker[MixtureBatch],
    *,
    mature_hits: int = MATURE_HITS,
) -> KnownTracks:
    """The confirmed tracks with at least ``mature_hits`` updates, as the scheduler sees them."""
    index = np.nonzero(tracks.confirmed & (tracks.hits >= mature_hits))[0]
    if index.size == 0:
        return KnownTracks.none()
    state = tracks.state.take(index)
    g = state.collapse(min_weight=PRUNE_WEIGHT)
    # A covariance that lost positivity counts as unknown (zero sigma, no slack).
    sigma = np.sqrt(np.maximum(np.trace(g.cov[:, :3, :3], axis1=1, axis2=2), 0.0))
    sigma_v = np.sqrt(np.maximum(np.trace(g.cov[:, 3:6, 3:6], axis1=1, axis2=2), 0.0))
    return KnownTracks(
        track_id=tracks.track_id[index],
        position=g.mean[:, :3],
        velocity=g.mean[:, 3:6],
        t=g.t,
        position_sigma=sigma,
        velocity_sigma=sigma_v,
        powered=tracker.predictor.powered_probability(state),
    )

"""The multi-target tracker: a pure ``step(tracks, reports, cues, now) -> tracks``.

The tracker is composed of its roles (predictor, updater, initiator, associator,
deleter, and optionally a cue initiator) and holds no state itself: a :class:`TrackSet`
goes in, a new one comes out. Reports of one sensor at one time form a scan; scans are
processed in time order. All tracks are predicted to the scan time in one batch, gated
and assigned, the assigned ones updated in one batch, unclaimed reports start tentative
tracks, and a tentative track is confirmed after ``confirm_hits`` updates.

Reports from several radars and parties are fused at measurement level simply by being
scans of the same tracker. A report may arrive late, out of time order: the tracker holds
reports for ``reorder_window_s`` before processing them, so that anything arriving within
that window is put back in order. A report older than what has already been processed but
within ``retrodiction_window_s`` updates the nearest gated track by retrodiction
(:mod:`gsomia.warning.tracking.retrodiction`; counted in ``TrackSet.retrodicted``); an
older one is dropped and counted (``TrackSet.late``). The same report delivered twice (two
routes) is folded in once: reports are keyed by sensor, time and values, and a key already
seen within the retrodiction window is counted in ``TrackSet.duplicates`` and dropped.
Within a scan, reports are ordered by their own values, so the result never depends on
arrival order: the same reports give the same tracks, bit for bit.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Generic, cast

import numpy as np
from numpy.typing import NDArray

from gsomia.errors import InputError
from gsomia.warning.sensors.measurements import LaunchCue, RadarReport
from gsomia.warning.tracking._linalg import Array, Index
from gsomia.warning.tracking.association import GNNAssociator
from gsomia.warning.tracking.base import (
    Assignment,
    Associator,
    Deleter,
    Initiator,
    Predictor,
    S,
    Updater,
)
from gsomia.warning.tracking.deleters import AnyDeleter
from gsomia.warning.tracking.initiators import CueInitiator, ReportInitiator, cue_matches
from gsomia.warning.tracking.models import BallisticMotion, MotionModel
from gsomia.warning.tracking.predictors import EKFPredictor, IMMPredictor
from gsomia.warning.tracking.retrodiction import retrodict_update
from gsomia.warning.tracking.states import GaussianBatch, MeasurementBatch, MixtureBatch
from gsomia.warning.tracking.updaters import EKFUpdater, IMMUpdater

__all__ = ["TrackSet", "Tracker", "ballistic_tracker", "boost_coast_tracker"]

_logger = logging.getLogger(__name__)

PRUNE_WEIGHT = 0.01
"""Modes lighter than this are left out of the collapse used for deletion and pictures."""

Incoming = RadarReport | LaunchCue


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class TrackSet(Generic[S]):
    """All tracks one tracker holds, batched, with their bookkeeping.

    ``track_id`` are unique integers; ``confirmed``, ``hits`` and ``last_update`` (s) are
    per track; ``cue`` is the launch cue a track started from, if any; ``parties`` are the
    parties whose reports updated it. ``horizon`` is the time up to which reports have
    been processed, ``pending`` the reports held back for reordering, ``late`` the count
    of reports dropped for arriving after the horizon.
    """

    state: S
    track_id: NDArray[np.int64]
    confirmed: NDArray[np.bool_]
    hits: NDArray[np.int64]
    last_update: Array
    cue: tuple[LaunchCue | None, ...]
    parties: tuple[frozenset[str], ...]
    next_id: int = 1
    horizon: float = -np.inf
    pending: tuple[Incoming, ...] = ()
    late: int = 0
    retrodicted: int = 0
    duplicates: int = 0
    seen: frozenset[tuple[str, float, tuple[float, ...]]] = frozenset()

    def __len__(self) -> int:
        return len(self.state)

    def select(self, index: Index) -> TrackSet[S]:
        """The tracks at ``index`` (bookkeeping kept)."""
        i = np.asarray(index, dtype=np.intp)
        return replace(
            self,
            state=self.state.take(i),
            track_id=self.track_id[i],
            confirmed=self.confirmed[i],
            hits=self.hits[i],
            last_update=self.last_update[i],
            cue=tuple(self.cue[k] for k in i),
            parties=tuple(self.parties[k] for k in i),
        )

    def _append(
        self, state: S, *, t: Array, confirmed: bool, cue: Sequence[LaunchCue | None]
    ) -> TrackSet[S]:
        n = len(state)
        ids = np.arange(self.next_id, self.next_id + n, dtype=np.int64)
        return replace(
            self,
            state=self.state.concat(state),
            track_id=np.concatenate([self.track_id, ids]),
            confirmed=np.concatenate([self.confirmed, np.full(n, confirmed)]),
            hits=np.concatenate([self.hits, np.zeros(n, dtype=np.int64)]),
            last_update=np.concatenate([self.last_update, t]),
            cue=self.cue + tuple(cue),
            parties=self.parties + tuple(frozenset() for _ in range(n)),
            next_id=self.next_id + n,
        )


def _time(item: Incoming) -> float:
    return item.t


def _scan_key(item: Incoming) -> tuple[float, int, str]:
    return (item.t, 0 if isinstance(item, LaunchCue) else 1, item.sensor)


def _report_key(item: RadarReport) -> tuple[str, float, tuple[float, ...]]:
    return (item.sensor, item.t, tuple(float(v) for v in item.z))


def _unique(
    pool: list[Incoming], seen: frozenset[tuple[str, float, tuple[float, ...]]]
) -> tuple[list[Incoming], int]:
    """The pool without reports already processed or repeated within it."""
    keys = set(seen)
    out: list[Incoming] = []
    repeated = 0
    for item in pool:
        if isinstance(item, RadarReport):
            key = _report_key(item)
            if key in keys:
                repeated += 1
                continue
            keys.add(key)
        out.append(item)
    if repeated:
        _logger.info("dropped %d duplicate reports", repeated)
    return out, repeated


def _order_key(item: Incoming) -> tuple[float, int, str, tuple[float, ...]]:
    """Scan key, then the item's own values: the order never depends on arrival order."""
    values: tuple[float, ...]
    if isinstance(item, LaunchCue):
        values = (item.launch_t, item.lat_deg, item.lon_deg, item.position_sigma_m)
    else:
        values = tuple(float(v) for v in item.z)
    return (*_scan_key(item), values)


@dataclass(frozen=True, slots=True, kw_only=True)
class Tracker(Generic[S]):
    """A multi-target tracker composed of its roles. Raises InputError if they disagree."""

    predictor: Predictor[S]
    updater: Updater[S]
    initiator: Initiator
    associator: Associator = field(default_factory=GNNAssociator)
    deleter: Deleter = field(default_factory=AnyDeleter)
    cue_initiator: CueInitiator | None = None
    confirm_hits: int = 3
    reorder_window_s: float = 0.0
    retrodiction_window_s: float = 600.0

    def __post_init__(self) -> None:
        if self.cue_initiator is not None and self.cue_initiator.ndim != self.initiator.ndim:
            raise InputError("cue and report initiators must give the same state layout")
        if self.confirm_hits < 1 or self.reorder_window_s < 0 or self.retrodiction_window_s < 0:
            raise InputError(
                "confirm_hits must be >= 1, reorder_window_s and retrodiction_window_s >= 0"
            )

    def empty(self) -> TrackSet[S]:
        """A track set with no tracks."""
        state = self.predictor.start(GaussianBatch.empty(self.initiator.ndim), powered=np.zeros(0))
        return TrackSet(
            state=state,
            track_id=np.zeros(0, dtype=np.int64),
            confirmed=np.zeros(0, dtype=bool),
            hits=np.zeros(0, dtype=np.int64),
            last_update=np.zeros(0),
            cue=(),
            parties=(),
        )

    def step(
        self,
        tracks: TrackSet[S],
        *,
        now: float,
        reports: Sequence[RadarReport] = (),
        cues: Sequence[LaunchCue] = (),
    ) -> TrackSet[S]:
        """Fold in every report and cue up to ``now - reorder_window_s``; hold the rest;
        retrodict reports older than what has been processed."""
        pool, duplicates = _unique([*tracks.pending, *reports, *cues], tracks.seen)
        late = [item for item in pool if _time(item) < tracks.horizon]
        until = now - self.reorder_window_s
        fresh = [item for item in pool if _time(item) >= tracks.horizon]
        ready = sorted((item for item in fresh if _time(item) <= until), key=_order_key)
        held = tuple(item for item in fresh if _time(item) > until)
        out = replace(tracks, pending=held, duplicates=tracks.duplicates + duplicates)
        out = self._retrodict(out, sorted(late, key=_order_key))
        for _, group in itertools.groupby(ready, key=_scan_key):
            items = list(group)
            if isinstance(items[0], LaunchCue):
                out = self._cues(out, [c for c in items if isinstance(c, LaunchCue)])
            else:
                out = self._scan(out, [r for r in items if isinstance(r, RadarReport)])
        if until > tracks.horizon and len(out):
            out = self._delete(out, until)
        horizon = max(tracks.horizon, until)
        keep = horizon - max(self.retrodiction_window_s, self.reorder_window_s)
        done = {_report_key(r) for r in [*late, *ready] if isinstance(r, RadarReport)}
        seen = frozenset(k for k in tracks.seen | done if k[1] >= keep)
        return replace(out, horizon=horizon, seen=seen)

    def _retrodict(self, tracks: TrackSet[S], late: list[Incoming]) -> TrackSet[S]:
        """Fold in reports older than the horizon by retrodiction; drop the too old."""
        out, dropped = tracks, 0
        motions = _motions(self.predictor)
        for item in late:
            too_old = _time(item) < tracks.horizon - self.retrodiction_window_s
            if not isinstance(item, RadarReport) or too_old or motions is None or not len(out):
                dropped += 1
                continue
            state = out.state
            if not isinstance(state, GaussianBatch | MixtureBatch):
                dropped += 1
                continue
            result = retrodict_update(state, item, motions=motions[0], max_step=motions[1])
            if result.track < 0:
                dropped += 1
                continue
            hits = out.hits.copy()
            hits[result.track] += 1
            parties = list(out.parties)
            parties[result.track] = parties[result.track] | {item.party}
            out = replace(
                out,
                state=cast("S", result.state),
                hits=hits,
                parties=tuple(parties),
                confirmed=out.confirmed | (hits >= self.confirm_hits),
                retrodicted=out.retrodicted + 1,
            )
        if dropped:
            _logger.warning("dropped %d reports older than the retrodiction window", dropped)
        return replace(out, late=out.late + dropped)

    def _scan(self, tracks: TrackSet[S], reports: list[RadarReport]) -> TrackSet[S]:
        """One scan: predict all, associate, update the claimed, start tracks from the rest."""
        t, party = reports[0].t, reports[0].party
        measurements = MeasurementBatch.from_reports(reports)
        predicted = self.predictor.predict(tracks.state, t=t)
        assignment = self.associator.associate(predicted, measurements)
        state = self._update(tracks, predicted, measurements, assignment)
        out = self._credit(replace(tracks, state=state), assignment.tracks, t, party)
        free = assignment.unassigned_reports
        if free.size:
            born, powered = self.initiator.initiate(
                measurements.take(free), neighbours=out.state.collapse(min_weight=PRUNE_WEIGHT)
            )
            state_new = self.predictor.start(born, powered=powered)
            out = out._append(state_new, t=born.t, confirmed=False, cue=[None] * free.size)
            out = self._credit(out, np.arange(len(out) - free.size, len(out)), t, party)
        return self._delete(out, t)

    def _update(
        self,
        tracks: TrackSet[S],
        predicted: S,
        measurements: MeasurementBatch,
        assignment: Assignment,
    ) -> S:
        """Update claimed tracks; a track with no report yet (a cue track) restarts instead."""
        state = predicted
        first = tracks.hits[assignment.tracks] == 0
        seen, unseen = assignment.tracks[~first], assignment.tracks[first]
        if seen.size:
            posterior = self.updater.update(
                predicted.take(seen), measurements.take(assignment.reports[~first])
            )
            state = state.put(seen, posterior)
        if unseen.size:
            restarted = self.initiator.restart(
                measurements.take(assignment.reports[first]),
                prior=predicted.take(unseen).collapse(),
            )
            powered = self.predictor.powered_probability(predicted.take(unseen))
            state = state.put(unseen, self.predictor.start(restarted, powered=powered))
        return state

    def _credit(self, tracks: TrackSet[S], index: Index, t: float, party: str) -> TrackSet[S]:
        hits = tracks.hits.copy()
        hits[index] += 1
        last = tracks.last_update.copy()
        last[index] = t
        parties = list(tracks.parties)
        for k in index.tolist():
            parties[k] = parties[k] | {party}
        confirmed = tracks.confirmed | (hits >= self.confirm_hits)
        return replace(
            tracks, hits=hits, last_update=last, parties=tuple(parties), confirmed=confirmed
        )

    def _cues(self, tracks: TrackSet[S], cues: list[LaunchCue]) -> TrackSet[S]:
        """New launches start cue tracks; a launch already tracked gets the cue attached."""
        if self.cue_initiator is None:
            _logger.info("ignored %d launch cues: this tracker has no cue initiator", len(cues))
            return tracks
        known = [c for c in tracks.cue if c is not None]
        fresh: list[LaunchCue] = []
        for cue in cues:
            if not any(cue_matches(cue, other) for other in [*known, *fresh]):
                fresh.append(cue)
        uncued = np.array([k for k, c in enumerate(tracks.cue) if c is None], dtype=np.intp)
        collapsed = tracks.state.collapse(min_weight=PRUNE_WEIGHT)
        owner = self.cue_initiator.match(fresh, collapsed.take(uncued))
        attached = list(tracks.cue)
        for cue, k in zip(fresh, owner.tolist(), strict=True):
            if k >= 0:
                attached[int(uncued[k])] = cue
        out = replace(tracks, cue=tuple(attached))
        new = [cue for cue, k in zip(fresh, owner.tolist(), strict=True) if k < 0]
        if not new:
            return out
        born, powered = self.cue_initiator.initiate(new)
        state = self.predictor.start(born, powered=powered)
        arrival = np.array([c.t for c in new], dtype=float)
        return out._append(state, t=arrival, confirmed=True, cue=new)

    def _delete(self, tracks: TrackSet[S], now: float) -> TrackSet[S]:
        mask = self.deleter.delete(
            tracks.state.collapse(min_weight=PRUNE_WEIGHT),
            last_update=tracks.last_update,
            hits=tracks.hits,
            now=now,
        )
        if not np.any(mask):
            return tracks
        _logger.debug("deleted tracks %s", tracks.track_id[mask].tolist())
        return tracks.select(np.nonzero(~mask)[0])


def _motions(predictor: object) -> tuple[tuple[MotionModel, ...], float] | None:
    if isinstance(predictor, IMMPredictor):
        return predictor.motions, predictor.max_step
    if isinstance(predictor, EKFPredictor):
        return (predictor.motion,), predictor.max_step
    return None


def ballistic_tracker(
    *,
    motion: BallisticMotion | None = None,
    initiator: ReportInitiator | None = None,
    associator: Associator | None = None,
    deleter: Deleter | None = None,
    confirm_hits: int = 3,
    reorder_window_s: float = 0.0,
    updater: EKFUpdater | None = None,
) -> Tracker[GaussianBatch]:
    """An EKF tracker of unpowered objects in the 6-state layout.

    ``updater`` replaces the first-order radar update (``EKFUpdater()``).
    """
    return Tracker(
        predictor=EKFPredictor(motion=motion or BallisticMotion()),
        updater=updater or EKFUpdater(),
        initiator=initiator or ReportInitiator(ndim=6),
        associator=associator or GNNAssociator(),
        deleter=deleter or AnyDeleter(),
        confirm_hits=confirm_hits,
        reorder_window_s=reorder_window_s,
    )


def boost_coast_tracker(
    *,
    predictor: IMMPredictor | None = None,
    initiator: ReportInitiator | None = None,
    cue_initiator: CueInitiator | None = None,
    associator: Associator | None = None,
    deleter: Deleter | None = None,
    confirm_hits: int = 3,
    reorder_window_s: float = 0.0,
    updater: IMMUpdater | None = None,
) -> Tracker[MixtureBatch]:
    """An IMM tracker (boost and coast models) in the 10-state layout, started by cues too.

    ``updater`` replaces the first-order radar update (``IMMUpdater()``): the consistency
    harness runs ``IMMUpdater(updater=EKFUpdater(sigma_points=True, ...))``
    (:func:`gsomia.warning.evaluation.consistency.harness_updater`). The default stays
    first-order: with the regression update the value analysis's 2017-05-14 vector moved
    from a 50 km impact fix at 150 s to one at 1,605 s for a party alone, a change not yet
    understood (docs/tracking.md, section 15).
    """
    return Tracker(
        predictor=predictor or IMMPredictor.boost_coast(),
        updater=updater or IMMUpdater(),
        initiator=initiator or ReportInitiator(ndim=10),
        cue_initiator=cue_initiator or CueInitiator(),
        associator=associator or GNNAssociator(),
        deleter=deleter or AnyDeleter(),
        confirm_hits=confirm_hits,
        reorder_window_s=reorder_window_s,
    )

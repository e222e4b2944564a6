"""The tracker's roles and their short contracts, in the manner of Stone Soup's components.

A tracker is composed of a :class:`Predictor`, an :class:`Updater`, a report
:class:`Initiator`, an :class:`Associator` and a :class:`Deleter`; variants are named
``<Variant><Role>`` (``EKFPredictor``, ``IMMUpdater``, ``GNNAssociator``). Every role works
on whole batches of tracks (a :class:`StateBatch`), so its cost grows with numpy's
vectorised arithmetic, not with a Python loop per track. Roles are frozen dataclasses:
their parameters are declared and visible to the type checker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Self, TypeVar

from numpy.typing import ArrayLike

from gsomia.warning.tracking._linalg import Array, Counts, Index, Mask
from gsomia.warning.tracking.states import GaussianBatch, MeasurementBatch

__all__ = [
    "Assignment",
    "Associator",
    "Deleter",
    "Initiator",
    "Predictor",
    "S",
    "StateBatch",
    "Updater",
]


class StateBatch(Protocol):
    """What every batched track state offers (GaussianBatch, MixtureBatch).

    ``collapse`` gives one moment-matched Gaussian per track (optionally without modes
    lighter than ``min_weight``); ``modes`` the components as one flat batch (N·M,
    track-major) with their weights (N, M).
    """

    @property
    def t(self) -> Array: ...

    @property
    def ndim(self) -> int: ...

    def __len__(self) -> int: ...

    def collapse(self, *, min_weight: float = 0.0) -> GaussianBatch: ...

    def modes(self) -> tuple[GaussianBatch, Array]: ...

    def take(self, index: ArrayLike) -> Self: ...

    def put(self, index: ArrayLike, values: Self) -> Self: ...

    def concat(self, other: Self) -> Self: ...


S = TypeVar("S", bound=StateBatch)


class Predictor(Protocol[S]):
    """Predicts track states to new times.

    ``predict`` MUST accept per-track target times (N,) or one scalar, MUST NOT mutate
    its input and MUST return states at exactly those times. ``start`` turns an
    initiator's Gaussians (with a prior probability of powered flight per track) into
    this predictor's state type; ``powered_probability`` reads that probability back.
    """

    def predict(self, prior: S, *, t: ArrayLike) -> S: ...

    def start(self, gaussian: GaussianBatch, *, powered: Array) -> S: ...

    def powered_probability(self, state: S) -> Array: ...


class Updater(Protocol[S]):
    """Folds one radar measurement into each track of a batch.

    ``update`` takes predictions and measurements of equal length and equal times and
    MUST return the posterior at the same times. Raises InputError if they disagree.
    """

    def update(self, prediction: S, measurements: MeasurementBatch) -> S: ...


class Initiator(Protocol):
    """Starts tentative tracks from reports no track claimed.

    ``neighbours`` are the existing tracks predicted to the reports' time; an initiator
    may use them (a separating stage starts with its parent's velocity). ``restart``
    re-starts tracks that had no report yet (cue tracks) at their first report.
    """

    @property
    def ndim(self) -> int: ...

    def initiate(
        self, measurements: MeasurementBatch, *, neighbours: GaussianBatch
    ) -> tuple[GaussianBatch, Array]: ...

    def restart(self, measurements: MeasurementBatch, *, prior: GaussianBatch) -> GaussianBatch: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Assignment:
    """Which track index took which report index; the rest of the reports are unclaimed."""

    tracks: Index
    reports: Index
    unassigned_reports: Index


class Associator(Protocol):
    """Assigns the reports of one scan to predicted tracks (at most one each way).

    ``predicted`` may be a mixture per track (an IMM state): a report may be gated and
    scored by any of a track's modes.
    """

    def associate(self, predicted: StateBatch, measurements: MeasurementBatch) -> Assignment: ...


class Deleter(Protocol):
    """Says which tracks to drop: returns a boolean mask (N,)."""

    def delete(
        self, collapsed: GaussianBatch, *, last_update: Array, hits: Counts, now: float
    ) -> Mask: ...

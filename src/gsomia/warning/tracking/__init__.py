"""The missile tracker and the fusion of partners' data (the tracking part of ``warning``).

Roles in the Stone Soup manner, each batched over many tracks with numpy:

* predictors: :class:`EKFPredictor` (one motion model), :class:`IMMPredictor`
  (boost and coast models mixed);
* updaters: :class:`EKFUpdater` (radar range/azimuth/elevation), :class:`IMMUpdater`;
* initiators: :class:`ReportInitiator` (unclaimed reports, debris near a parent track),
  :class:`CueInitiator` (satellite launch cues);
* associator: :class:`GNNAssociator` (chi-square gate, exact assignment);
* deleters: :class:`StaleDeleter`, :class:`CovarianceDeleter`, :class:`GroundDeleter`,
  :class:`DuplicateDeleter`, :class:`AnyDeleter`;
* :class:`Tracker`, a pure ``step(tracks, reports, cues, now) -> tracks``.

Around them: :class:`ImpactPredictor` (impact and launch points with uncertainty), the
party's :class:`Picture`, the shareable :class:`SharedWarning` (rules RT-1, RT-3) and
:func:`fuse_warnings` (covariance intersection).
"""

from __future__ import annotations

from gsomia.warning.tracking.association import GNNAssociator as GNNAssociator
from gsomia.warning.tracking.association import assign as assign
from gsomia.warning.tracking.base import Assignment as Assignment
from gsomia.warning.tracking.base import Associator as Associator
from gsomia.warning.tracking.base import Deleter as Deleter
from gsomia.warning.tracking.base import Initiator as Initiator
from gsomia.warning.tracking.base import Predictor as Predictor
from gsomia.warning.tracking.base import StateBatch as StateBatch
from gsomia.warning.tracking.base import Updater as Updater
from gsomia.warning.tracking.deleters import AnyDeleter as AnyDeleter
from gsomia.warning.tracking.deleters import CovarianceDeleter as CovarianceDeleter
from gsomia.warning.tracking.deleters import DuplicateDeleter as DuplicateDeleter
from gsomia.warning.tracking.deleters import GroundDeleter as GroundDeleter
from gsomia.warning.tracking.deleters import StaleDeleter as StaleDeleter
from gsomia.warning.tracking.fusion import GATE_6DOF_999 as GATE_6DOF_999
from gsomia.warning.tracking.fusion import (
    CovarianceIntersectionFuser as CovarianceIntersectionFuser,
)
from gsomia.warning.tracking.fusion import covariance_intersection as covariance_intersection
from gsomia.warning.tracking.fusion import fuse_warnings as fuse_warnings
from gsomia.warning.tracking.impact import GroundCrossing as GroundCrossing
from gsomia.warning.tracking.impact import ImpactPredictor as ImpactPredictor
from gsomia.warning.tracking.impact import lift_envelope as lift_envelope
from gsomia.warning.tracking.initiators import CueInitiator as CueInitiator
from gsomia.warning.tracking.initiators import ReportInitiator as ReportInitiator
from gsomia.warning.tracking.models import BallisticMotion as BallisticMotion
from gsomia.warning.tracking.models import BoostMotion as BoostMotion
from gsomia.warning.tracking.models import CoastMotion as CoastMotion
from gsomia.warning.tracking.models import ManoeuvreMotion as ManoeuvreMotion
from gsomia.warning.tracking.models import MotionModel as MotionModel
from gsomia.warning.tracking.models import runge_kutta_step as runge_kutta_step
from gsomia.warning.tracking.picture import GroundEstimate as GroundEstimate
from gsomia.warning.tracking.picture import Picture as Picture
from gsomia.warning.tracking.picture import PictureTrack as PictureTrack
from gsomia.warning.tracking.picture import crossing_estimate as crossing_estimate
from gsomia.warning.tracking.picture import picture_from_tracks as picture_from_tracks
from gsomia.warning.tracking.predictors import EKFPredictor as EKFPredictor
from gsomia.warning.tracking.predictors import IMMPredictor as IMMPredictor
from gsomia.warning.tracking.sharing import WARNING_FORMAT as WARNING_FORMAT
from gsomia.warning.tracking.sharing import SharedWarning as SharedWarning
from gsomia.warning.tracking.sharing import conceal_covariance as conceal_covariance
from gsomia.warning.tracking.sharing import share_warning as share_warning
from gsomia.warning.tracking.states import GaussianBatch as GaussianBatch
from gsomia.warning.tracking.states import MeasurementBatch as MeasurementBatch
from gsomia.warning.tracking.states import MixtureBatch as MixtureBatch
from gsomia.warning.tracking.tracker import PRUNE_WEIGHT as PRUNE_WEIGHT
from gsomia.warning.tracking.tracker import Tracker as Tracker
from gsomia.warning.tracking.tracker import TrackSet as TrackSet
from gsomia.warning.tracking.tracker import ballistic_tracker as ballistic_tracker
from gsomia.warning.tracking.tracker import boost_coast_tracker as boost_coast_tracker
from gsomia.warning.tracking.updaters import EKFUpdater as EKFUpdater
from gsomia.warning.tracking.updaters import IMMUpdater as IMMUpdater

__all__ = [
    "GATE_6DOF_999",
    "PRUNE_WEIGHT",
    "WARNING_FORMAT",
    "AnyDeleter",
    "Assignment",
    "Associator",
    "BallisticMotion",
    "BoostMotion",
    "CoastMotion",
    "CovarianceDeleter",
    "CovarianceIntersectionFuser",
    "CueInitiator",
    "Deleter",
    "DuplicateDeleter",
    "EKFPredictor",
    "EKFUpdater",
    "GNNAssociator",
    "GaussianBatch",
    "GroundCrossing",
    "GroundDeleter",
    "GroundEstimate",
    "IMMPredictor",
    "IMMUpdater",
    "ImpactPredictor",
    "Initiator",
    "ManoeuvreMotion",
    "MeasurementBatch",
    "MixtureBatch",
    "MotionModel",
    "Picture",
    "PictureTrack",
    "Predictor",
    "ReportInitiator",
    "SharedWarning",
    "StaleDeleter",
    "StateBatch",
    "TrackSet",
    "Tracker",
    "Updater",
    "assign",
    "ballistic_tracker",
    "boost_coast_tracker",
    "conceal_covariance",
    "covariance_intersection",
    "crossing_estimate",
    "fuse_warnings",
    "lift_envelope",
    "picture_from_tracks",
    "runge_kutta_step",
    "share_warning",
]

"""The tracking package's public names are pinned: adding or dropping one is a decision."""

from __future__ import annotations

import gsomia.warning.tracking as tracking

EXPECTED = {
    "GATE_6DOF_999",
    "lift_envelope",
    "runge_kutta_step",
    "crossing_estimate",
    "conceal_covariance",
    "PRUNE_WEIGHT",
    "WARNING_FORMAT",
    "AnyDeleter",
    "Assignment",
    "Associator",
    "BallisticMotion",
    "BoostMotion",
    "CoastMotion",
    "ManoeuvreMotion",
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
    "covariance_intersection",
    "fuse_warnings",
    "picture_from_tracks",
    "share_warning",
}


def test_public_names_are_exactly_the_pinned_set() -> None:
    assert set(tracking.__all__) == EXPECTED
    assert len(tracking.__all__) == len(EXPECTED)
    for name in EXPECTED:
        assert getattr(tracking, name) is not None

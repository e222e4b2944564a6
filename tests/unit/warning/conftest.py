"""Shared fixtures of the warning physics tests: truths of dated launches, built once."""

from __future__ import annotations

import pytest

from gsomia.warning.physics.truth import Truth, simulate
from gsomia.warning.scenario.launches import dated_launch, launch_scenario


@pytest.fixture(scope="session")
def kn23_2019_truth() -> Truth:
    return simulate(launch_scenario(dated_launch("2019-05-09")))


@pytest.fixture(scope="session")
def pks3_truth() -> Truth:
    return simulate(launch_scenario(dated_launch("2019-10-02")))

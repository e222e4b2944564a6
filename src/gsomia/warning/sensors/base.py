"""The sensor role and its short contract, in the manner of Stone Soup's ``sensor`` package.

A :class:`Sensor` belongs to a party, exists between two dates and observes a simulated
:class:`~gsomia.warning.physics.truth.Truth`: a radar (:class:`~.radar.Radar`) reports
detections, an infrared early-warning satellite (:class:`~.infrared.InfraredSatellite`)
launch cues. Code that needs what only one kind has (a radar's site, kind or revisit) asks
``isinstance`` for that kind; everything else takes a ``Sensor``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

import numpy as np

from gsomia.warning.physics.truth import Truth
from gsomia.warning.sensors.measurements import LaunchCue, RadarReport

__all__ = ["Report", "Sensor"]

Report = RadarReport | LaunchCue


class Sensor(Protocol):
    """What every sensor offers.

    ``observe`` MUST be deterministic for a given generator state and draw its randomness
    from ``rng`` only, and MUST return its reports in time order.
    """

    @property
    def name(self) -> str: ...

    @property
    def party(self) -> str: ...

    @property
    def in_service(self) -> date: ...

    def in_service_on(self, day: date) -> bool: ...

    def observe(self, truth: Truth, rng: np.random.Generator) -> Sequence[Report]: ...

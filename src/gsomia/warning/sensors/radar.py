"""Ground and ship radars that observe the truth.

A :class:`Radar` looks at every object on its own revisit grid (a random phase drawn from
the generator you pass in) and reports a detection when the object is above the 4/3-Earth
radar horizon, above the elevation mask, inside the maximum range, and wins a Bernoulli
draw with the detection probability of its signal-to-noise ratio. The SNR follows the
radar equation from a reference: ``snr = snr_ref * (rcs / 1 m²) * (reach / R)^4``, where
``reach`` is the range at which a 1 m² target gives ``snr_ref``. Detection probability is
Swerling I, ``Pd = Pfa^(1 / (1 + snr))`` (Skolnik, *Radar Handbook*, ch. 2). Noise is the
monopulse limit ``sigma_angle = beamwidth / (k_m sqrt(2 snr))`` and ``sigma_range =
resolution / sqrt(2 snr)`` (spec §4.2), each with a floor. Reports carry
``z = radar_h(truth) + noise`` and ``R = diag(sigma^2)``, so simulation and tracker share the
geometry of :mod:`gsomia.warning.sensors.measurements`.

A radar's pointing is registered to some accuracy, not exactly: ``bias_rad`` is its stated
residual pointing bias (one sigma per axis, azimuth and elevation) after registration. It
is constant over a pass, so it is not in a report's white ``R``; each report carries it as
the sensor's specification (:attr:`RadarReport.bias_rad`), for a tracker to consider. The
bias itself is not drawn here: a truth that has one adds it (the consistency harness,
:mod:`gsomia.warning.evaluation.consistency`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from gsomia.errors import InputError
from gsomia.warning.geo.frames import enu_rotation, geodetic_to_ecef
from gsomia.warning.geo.horizon import apparent_elevation, line_of_sight
from gsomia.warning.physics.truth import Phase, Truth
from gsomia.warning.sensors.measurements import RadarReport, SensorSite, radar_h

__all__ = ["Radar", "RadarLooks", "swerling1_pd"]

Array = NDArray[np.float64]


def swerling1_pd(snr: Array, pfa: float) -> Array:
    """Single-look detection probability of a Swerling I target (linear SNR)."""
    return np.asarray(np.power(pfa, 1.0 / (1.0 + np.asarray(snr, dtype=float))))


@dataclass(frozen=True, slots=True, kw_only=True)
class RadarLooks:
    """Every look of one radar at every object: the vectorised middle of :meth:`Radar.observe`.

    Arrays have shape (objects, looks): ``visible`` (geometry allows a detection), ``snr``,
    ``pd``, ``detected`` (the Bernoulli outcome) and ``z`` (…, 3) noisy measurements.
    """

    t: Array
    visible: NDArray[np.bool_]
    snr: Array
    pd: Array
    detected: NDArray[np.bool_]
    z: Array
    sigma: Array


@dataclass(frozen=True, slots=True, kw_only=True)
class Radar:
    """A radar at a fixed place (a ship on station counts as fixed), owned by ``party``.

    ``in_service`` and ``out_of_service`` bound the dates it exists (``None``: open-ended).
    ``approximate`` flags coordinates that are not from a survey.
    """

    name: str
    kind: str
    party: str
    lat_deg: float
    lon_deg: float
    height_m: float
    approximate: bool
    in_service: date
    out_of_service: date | None = None
    reach_m: float
    max_range_m: float
    elevation_mask_deg: float = 0.0
    revisit_s: float
    beamwidth_rad: float
    range_resolution_m: float
    slope: float = 1.6
    snr_ref: float = 20.0
    pfa: float = 1e-6
    angle_floor_rad: float = 2e-4
    range_floor_m: float = 5.0
    bias_rad: float = 2e-4
    note: str = ""

    def __post_init__(self) -> None:
        if self.revisit_s <= 0.0 or self.reach_m <= 0.0 or self.max_range_m <= 0.0:
            raise InputError(f"{self.name}: revisit, reach and maximum range must be positive")
        if not (self.bias_rad >= 0.0 and math.isfinite(self.bias_rad)):
            raise InputError(f"{self.name}: bias_rad must be finite and non-negative")

    def in_service_on(self, day: date) -> bool:
        """Whether the radar exists on ``day``."""
        ended = self.out_of_service is not None and day >= self.out_of_service
        return self.in_service <= day and not ended

    def site(self) -> SensorSite:
        """The antenna's ECEF position and ECEF-to-ENU rotation."""
        ecef = geodetic_to_ecef(self.lat_deg, self.lon_deg, self.height_m)
        return SensorSite(ecef=ecef, enu_rotation=enu_rotation(self.lat_deg, self.lon_deg))

    def looks(self, truth: Truth, rng: np.random.Generator) -> RadarLooks:
        """Look at every object on the revisit grid; draws phase, detections and noise."""
        phase0 = float(rng.uniform(0.0, self.revisit_s))
        t = np.arange(truth.t[0] + phase0, truth.t[-1], self.revisit_s)
        states = truth.states_at(t)
        phases = truth.phases_at(t)
        site = self.site()
        present = ~np.isnan(states[..., 0])
        pos = np.where(present[..., None], states[..., :3], site.ecef + 1.0)
        h = radar_h(pos, site.ecef, site.enu_rotation)
        visible = present & self._geometry_allows(site, pos, h[..., 0])
        snr = self._snr(truth, phases, h[..., 0])
        pd = np.where(visible, swerling1_pd(snr, self.pfa), 0.0)
        detected = rng.random(pd.shape) < pd
        sigma = self._sigma(snr, h[..., 2])
        z = h + sigma * rng.standard_normal(h.shape)
        z[..., 1] = np.mod(z[..., 1], 2.0 * math.pi)
        return RadarLooks(t=t, visible=visible, snr=snr, pd=pd, detected=detected, z=z, sigma=sigma)

    def observe(self, truth: Truth, rng: np.random.Generator) -> list[RadarReport]:
        """Simulated reports of every detection, in time order.

        Deterministic for a given generator state: the same seed gives identical reports.
        """
        looks = self.looks(truth, rng)
        site = self.site()
        obj_idx, look_idx = np.nonzero(looks.detected)
        order = np.lexsort((obj_idx, looks.t[look_idx]))
        reports = []
        for k in order:
            i, j = int(obj_idx[k]), int(look_idx[k])
            reports.append(
                RadarReport(
                    sensor=self.name,
                    party=self.party,
                    t=float(looks.t[j]),
                    z=looks.z[i, j].copy(),
                    R=np.diag(looks.sigma[i, j] ** 2),
                    site=site,
                    bias_rad=self.bias_rad,
                    truth_id=truth.objects[i].truth_id,
                )
            )
        return reports

    def _geometry_allows(self, site: SensorSite, pos: Array, rng_m: Array) -> NDArray[np.bool_]:
        above = line_of_sight(site.ecef, pos)
        elevation = apparent_elevation(site.ecef, pos)
        masked = elevation >= math.radians(self.elevation_mask_deg)
        return np.asarray(above.astype(bool) & masked & (rng_m <= self.max_range_m))

    def _snr(self, truth: Truth, phases: NDArray[np.int8], rng_m: Array) -> Array:
        rcs = np.array([[o.rcs_m2] for o in truth.objects])
        boost = np.array([[o.boost_rcs_m2] for o in truth.objects])
        sigma = np.where(phases == Phase.BOOST, boost, rcs)
        safe = np.maximum(rng_m, 1.0)
        return np.asarray(self.snr_ref * sigma * (self.reach_m / safe) ** 4)

    def _sigma(self, snr: Array, elevation: Array) -> Array:
        root = np.sqrt(2.0 * np.maximum(snr, 1e-12))
        angle = np.hypot(self.beamwidth_rad / (self.slope * root), self.angle_floor_rad)
        rng = np.hypot(self.range_resolution_m / root, self.range_floor_m)
        azimuth = angle / np.maximum(np.cos(elevation), 0.05)
        return np.stack([rng, azimuth, angle], axis=-1)

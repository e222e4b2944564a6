"""The warning a party shares about a track, and nothing more (rules RT-1 and RT-3).

A :class:`SharedWarning` carries the launch point estimate, the trajectory state with its
covariance, the predicted impact point with its uncertainty, and their times (RT-1). It
carries no sensor name, site, report or measurement (RT-3): :func:`share_warning` builds
it from a :class:`~gsomia.warning.tracking.picture.PictureTrack`, which holds none of
those either.

The trajectory part also says whether the originator's track is powered (``powered``, its
probability of powered flight, when the tracker knows it): a boosting missile's state
predicted without thrust says nothing of where it will be, and a receiver must not fuse it
or score it as an impact estimate. The estimate's age is the receiver's time minus ``t``.
A warning without ``powered`` (``None``) leaves it unknown.

A covariance can still hint at where the sensors were: a radar's error ellipsoid is thin
along its line of sight. ``conceal_geometry=True`` replaces each 3×3 block (position,
velocity) by twice its largest eigenvalue times the identity and drops the cross terms,
which is never smaller than the true covariance (so fusion stays consistent) and says
nothing of direction. The wire form (:meth:`SharedWarning.to_dict`) starts with its
version marker, ``"format": "gsomia/warning-v1"`` (``docs/formats/warning-v1.md``); the
marker's first spelling, ``gsomia-warning-v1``, is still read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from gsomia.errors import InputError
from gsomia.warning.tracking._linalg import Array, symmetrise
from gsomia.warning.tracking.picture import GroundEstimate, PictureTrack

__all__ = [
    "WARNING_FORMAT",
    "WARNING_FORMAT_FIRST_SPELLING",
    "SharedWarning",
    "conceal_covariance",
    "share_warning",
]

WARNING_FORMAT = "gsomia/warning-v1"
"""Version marker of the shared warning's wire form."""
WARNING_FORMAT_FIRST_SPELLING = "gsomia-warning-v1"
"""The same version as first spelt; read, never written."""

Matrix = tuple[tuple[float, ...], ...]
_GROUND_FIELDS = ("t", "t_sigma_s", "lat_deg", "lon_deg", "enu_cov")


@dataclass(frozen=True, slots=True, kw_only=True)
class SharedWarning:
    """One shared warning (RT-1): trajectory state, launch and impact points, times.

    ``state`` is ECEF ``[x y z vx vy vz]`` at time ``t`` (s since the scenario epoch) with
    covariance ``cov``; ``warning_id`` is the originator's opaque name for the track.
    """

    format: str
    originator: str
    warning_id: str
    t: float
    state: tuple[float, ...]
    cov: Matrix
    launch: GroundEstimate | None
    impact: GroundEstimate | None
    powered: float | None = None

    def age_s(self, now: float) -> float:
        """How old the estimate is at ``now`` (s)."""
        return now - self.t

    def mean(self) -> Array:
        """The state as an array (6,)."""
        return np.array(self.state, dtype=float)

    def cov_array(self) -> Array:
        """The covariance as an array (6, 6)."""
        return np.array(self.cov, dtype=float)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, version marker first (``powered`` only when known)."""
        out: dict[str, Any] = {
            "format": self.format,
            "originator": self.originator,
            "warning_id": self.warning_id,
            "t": self.t,
            "state": list(self.state),
            "cov": [list(row) for row in self.cov],
            "launch": _ground_dict(self.launch),
            "impact": _ground_dict(self.impact),
        }
        if self.powered is not None:
            out["powered"] = self.powered
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SharedWarning:
        """Parse the wire form. Raises InputError for another version or a malformed field."""
        if data.get("format") not in (WARNING_FORMAT, WARNING_FORMAT_FIRST_SPELLING):
            raise InputError(f"not a {WARNING_FORMAT} warning: format {data.get('format')!r}")
        extra = set(data) - {
            "format",
            "originator",
            "warning_id",
            "t",
            "state",
            "cov",
            "launch",
            "impact",
            "powered",
        }
        if extra:
            raise InputError(f"warning carries fields outside RT-1: {sorted(extra)}")
        try:
            return cls(
                format=WARNING_FORMAT,
                originator=str(data["originator"]),
                warning_id=str(data["warning_id"]),
                t=_finite(data["t"]),
                state=_vector(data["state"], 6),
                cov=_matrix(data["cov"], 6),
                launch=_ground_parse(data["launch"]),
                impact=_ground_parse(data["impact"]),
                powered=_probability(data.get("powered")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"malformed {WARNING_FORMAT} warning: {exc}") from exc


def _finite(value: Any) -> float:
    out = float(value)
    if not math.isfinite(out):
        raise ValueError("non-finite number")
    return out


def _probability(value: Any) -> float | None:
    if value is None:
        return None
    out = _finite(value)
    if not 0.0 <= out <= 1.0:
        raise ValueError("powered must be a probability")
    return out


def _vector(values: Any, n: int) -> tuple[float, ...]:
    out = tuple(_finite(v) for v in values)
    if len(out) != n:
        raise ValueError(f"expected {n} numbers")
    return out


def _matrix(rows: Any, n: int) -> Matrix:
    out = tuple(_vector(row, n) for row in rows)
    if len(out) != n:
        raise ValueError(f"expected {n} rows")
    return out


def _ground_dict(g: GroundEstimate | None) -> dict[str, Any] | None:
    if g is None:
        return None
    return {
        "t": g.t,
        "t_sigma_s": g.t_sigma_s,
        "lat_deg": g.lat_deg,
        "lon_deg": g.lon_deg,
        "enu_cov": [list(row) for row in g.enu_cov],
    }


def _ground_parse(data: Any) -> GroundEstimate | None:
    if data is None:
        return None
    if set(data) != set(_GROUND_FIELDS):
        raise ValueError("ground estimate fields differ")
    cov = _matrix(data["enu_cov"], 2)
    return GroundEstimate(
        t=_finite(data["t"]),
        t_sigma_s=_finite(data["t_sigma_s"]),
        lat_deg=_finite(data["lat_deg"]),
        lon_deg=_finite(data["lon_deg"]),
        enu_cov=((cov[0][0], cov[0][1]), (cov[1][0], cov[1][1])),
    )


def conceal_covariance(cov: Array) -> Array:
    """A direction-free bound of a 6×6 position/velocity covariance (never smaller).

    ``[[A, C], [Cᵀ, B]] ⪯ [[2A, 0], [0, 2B]] ⪯ diag(2λmax(A) I, 2λmax(B) I)``.
    """
    c = symmetrise(np.asarray(cov, dtype=float))
    out = np.zeros((6, 6))
    for block in (slice(0, 3), slice(3, 6)):
        out[block, block] = 2.0 * np.linalg.eigvalsh(c[block, block])[-1] * np.eye(3)
    return out


def _matrix_tuple(a: Array) -> Matrix:
    return tuple(tuple(float(v) for v in row) for row in a)


def share_warning(
    track: PictureTrack, *, originator: str, warning_id: str, conceal_geometry: bool
) -> SharedWarning:
    """The shareable content of a track: RT-1 fields only, nothing about sensors (RT-3)."""
    cov = conceal_covariance(track.cov) if conceal_geometry else symmetrise(np.asarray(track.cov))
    return SharedWarning(
        format=WARNING_FORMAT,
        originator=originator,
        warning_id=warning_id,
        t=float(track.t),
        state=tuple(float(v) for v in track.state[:6]),
        cov=_matrix_tuple(cov),
        launch=track.launch,
        impact=track.impact,
        powered=(
            float(track.powered_probability) if math.isfinite(track.powered_probability) else None
        ),
    )

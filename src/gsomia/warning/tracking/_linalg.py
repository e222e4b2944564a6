"""Batched small-matrix helpers shared by the tracking roles (private)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Index = NDArray[np.intp]
Mask = NDArray[np.bool_]
Counts = NDArray[np.int64]

LOG_2PI = float(np.log(2.0 * np.pi))


def symmetrise(p: Array) -> Array:
    """The symmetric part of a stack of square matrices."""
    return 0.5 * (p + np.swapaxes(p, -1, -2))


def transpose(a: Array) -> Array:
    """Swap the last two axes."""
    return np.swapaxes(a, -1, -2)


def quadratic_form(nu: Array, s: Array) -> tuple[Array, Array]:
    """``nuᵀ S⁻¹ nu`` and ``log det S`` for stacks of vectors and SPD matrices."""
    chol = np.linalg.cholesky(s)
    y = np.linalg.solve(chol, nu[..., None])[..., 0]
    d2 = np.sum(y * y, axis=-1)
    logdet = 2.0 * np.sum(np.log(np.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)
    return d2, logdet


def gaussian_loglik(nu: Array, s: Array) -> Array:
    """Log density of zero-mean Gaussians with covariances ``s`` at ``nu``."""
    d2, logdet = quadratic_form(nu, s)
    return np.asarray(-0.5 * (d2 + logdet + nu.shape[-1] * LOG_2PI))


def spd_inverse(p: Array) -> Array:
    """Inverse of a stack of symmetric positive-definite matrices, via Cholesky."""
    chol = np.linalg.cholesky(p)
    eye = np.broadcast_to(np.eye(p.shape[-1]), p.shape)
    inv_chol = np.linalg.solve(chol, eye)
    return np.asarray(transpose(inv_chol) @ inv_chol)


def sqrt_psd(p: Array) -> Array:
    """A matrix square root ``L`` with ``L Lᵀ = P`` for PSD stacks (Cholesky, else eigen)."""
    try:
        return np.asarray(np.linalg.cholesky(p))
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(symmetrise(p))
        return np.asarray(v * np.sqrt(np.clip(w, 0.0, None))[..., None, :])


def ellipse_axes(cov2: Array, *, confidence: float) -> tuple[Array, Array, Array]:
    """Semi-major, semi-minor (same unit as sqrt(cov)) and orientation of 2×2 ENU ellipses.

    The orientation is the azimuth of the major axis in degrees clockwise from north, in
    [0, 180). For two degrees of freedom the confidence scale is exactly
    ``sqrt(-2 ln(1 - p))``.
    """
    k = np.sqrt(-2.0 * np.log1p(-confidence))
    w, v = np.linalg.eigh(symmetrise(cov2))
    w = np.clip(w, 0.0, None)
    major = v[..., :, 1]
    orientation = np.degrees(np.arctan2(major[..., 0], major[..., 1])) % 180.0
    return k * np.sqrt(w[..., 1]), k * np.sqrt(w[..., 0]), np.asarray(orientation)


def inv3_sym(s: Array) -> tuple[Array, Array]:
    """Inverse and determinant of a stack of symmetric positive-definite 3×3 matrices.

    Cofactors on the matrix scaled to unit diagonal, so that mixed units (metres² beside
    radians²) do not cost precision.
    """
    scale = 1.0 / np.sqrt(np.diagonal(s, axis1=-2, axis2=-1))
    m = s * scale[:, :, None] * scale[:, None, :]
    a, b, c = m[:, 0, 0], m[:, 0, 1], m[:, 0, 2]
    d, e, f = m[:, 1, 1], m[:, 1, 2], m[:, 2, 2]
    c00 = d * f - e * e
    c01 = c * e - b * f
    c02 = b * e - c * d
    det = a * c00 + b * c01 + c * c02
    out = np.empty_like(m)
    out[:, 0, 0] = c00
    out[:, 0, 1] = out[:, 1, 0] = c01
    out[:, 0, 2] = out[:, 2, 0] = c02
    out[:, 1, 1] = a * f - c * c
    out[:, 1, 2] = out[:, 2, 1] = b * c - a * e
    out[:, 2, 2] = a * d - b * b
    inv = out / det[:, None, None] * scale[:, :, None] * scale[:, None, :]
    return np.asarray(inv), np.asarray(det / np.prod(scale, axis=-1) ** 2)

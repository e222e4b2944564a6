"""The report's pictures, drawn on matplotlib's Agg canvas (no pyplot, no display) into PNGs.

* ``map-<launch>.png``: the region's land (Natural Earth, carried by the repository), each
  radar's coverage of a target at 50 km (solid) and 500 km (dashed) altitude, the true
  path of every missile, Japan's fused track under each regime and its predicted impact
  with the 95 % ellipse a minute after burnout.
* ``warning-gain.png``: per launch and regime, the median paired gain in warning time over
  each party alone.
* ``impact-error-<party>.png``: per launch, the median impact-point error against time
  since launch, one line per regime.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from numpy.typing import NDArray

from gsomia.analysis.geography import coverage_ring, region_map
from gsomia.analysis.metrics import paired
from gsomia.analysis.runner import LaunchResult
from gsomia.warning.geo.frames import destination, ground_range
from gsomia.warning.scenario.sensor_catalogue import sensors_in_service
from gsomia.warning.sensors.radar import Radar
from gsomia.warning.tracking import GroundEstimate

__all__ = [
    "draw_all",
    "draw_impact_error",
    "draw_launch_map",
    "draw_map",
    "draw_summaries",
    "draw_warning_gain",
    "map_name",
]

Array = NDArray[np.float64]

PARTY_COLOURS = {"JPN": "#c0392b", "KOR": "#1f5fa8", "USA": "#2e8b57"}
PARTY_NAMES = {"JPN": "Japan", "KOR": "ROK", "USA": "USA"}
_REGIME_COLOURS = ("#444444", "#9b59b6", "#e67e22", "#16a085", "#2980b9", "#c0392b", "#7f8c8d")
_DPI = 110


def regime_colours(keys: Sequence[str]) -> dict[str, str]:
    """A stable colour per regime key, in the order given."""
    return {k: _REGIME_COLOURS[i % len(_REGIME_COLOURS)] for i, k in enumerate(keys)}


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=_DPI, bbox_inches="tight")
    return path


def _extent(result: LaunchResult) -> tuple[float, float, float, float]:
    lats = np.concatenate([p[:, 1] for p in result.truth_paths] + [np.array([33.0, 43.0])])
    lons = np.concatenate([p[:, 2] for p in result.truth_paths] + [np.array([125.0, 141.0])])
    return (
        float(np.min(lons)) - 3.0,
        min(float(np.max(lons)) + 3.0, 172.0),
        max(float(np.min(lats)) - 3.0, 24.0),
        min(float(np.max(lats)) + 3.0, 52.0),
    )


def _land(ax: Axes) -> None:
    land = region_map()
    rings = [np.column_stack([lon, lat]) for lon, lat in land.rings]
    colours = ["#f3e1c7" if code == "JPN" else "#e4e4e4" for code in land.countries]
    patches = PolyCollection(
        rings, facecolors=colours, edgecolors="#777777", linewidths=0.4, zorder=1
    )
    ax.add_collection(patches, autolim=False)


def _coverage(ax: Axes, result: LaunchResult) -> None:
    for party, sensors in sensors_in_service(result.launch.day).items():
        colour = PARTY_COLOURS.get(party, "#555555")
        for sensor in sensors:
            if not isinstance(sensor, Radar):
                continue
            for altitude, style in ((50e3, "-"), (500e3, "--")):
                lon, lat = coverage_ring(sensor, altitude)
                ax.plot(lon, lat, style, color=colour, linewidth=0.6, alpha=0.55, zorder=2)
            ax.plot(sensor.lon_deg, sensor.lat_deg, "^", color=colour, markersize=4, zorder=5)


def _ellipse(ax: Axes, estimate: GroundEstimate, colour: str) -> None:
    major, minor, azimuth = estimate.ellipse()
    angle = np.linspace(0.0, 2.0 * math.pi, 73)
    along, across = major * np.cos(angle), minor * np.sin(angle)
    theta = math.radians(azimuth)
    east = along * math.sin(theta) + across * math.cos(theta)
    north = along * math.cos(theta) - across * math.sin(theta)
    bearing = np.degrees(np.arctan2(east, north))
    lat, lon = destination(estimate.lat_deg, estimate.lon_deg, bearing, np.hypot(east, north))
    ax.plot(lon, lat, color=colour, linewidth=1.2, zorder=6)
    ax.plot(estimate.lon_deg, estimate.lat_deg, "+", color=colour, markersize=7, zorder=6)


def _inset(ax: Axes, result: LaunchResult, regimes: Sequence[tuple[str, str]], party: str) -> None:
    """A zoom on the first missile's true impact with each regime's predicted impact and
    95 % ellipse."""
    found = [(k, result.ellipses.get((k, party))) for k, _ in regimes]
    shown = [(k, e) for k, e in found if e is not None]
    if not shown:
        return
    truth = result.truth_paths[0]
    lat0, lon0 = float(truth[-1, 1]), float(truth[-1, 2])
    spread = [
        float(ground_range(lat0, lon0, e.lat_deg, e.lon_deg)) + e.semi_major_m for _, e in shown
    ]
    reach_m = min(max(20e3, 1.2 * max(spread)), 400e3)
    half_lat = math.degrees(reach_m / 6.371e6)
    half_lon = half_lat / math.cos(math.radians(lat0))
    box = ax.inset_axes((0.02, 0.02, 0.30, 0.30))
    colours = regime_colours([k for k, _ in regimes])
    for key, estimate in shown:
        _ellipse(box, estimate, colours[key])
    box.plot(lon0, lat0, "x", color="black", markersize=9)
    box.set_xlim(lon0 - half_lon, lon0 + half_lon)
    box.set_ylim(lat0 - half_lat, lat0 + half_lat)
    box.set_aspect(1.0 / math.cos(math.radians(lat0)))
    box.set_xticks([])
    box.set_yticks([])
    box.set_title(f"impact, ±{reach_m / 1e3:.0f} km", fontsize=7)


def draw_map(
    result: LaunchResult, path: Path, *, regimes: Sequence[tuple[str, str]], party: str = "JPN"
) -> Path:
    """The map of one launch (module docstring); ``regimes`` are (key, title) pairs."""
    fig = _figure(9.0, 7.2)
    ax = fig.subplots()
    west, east, south, north = _extent(result)
    _land(ax)
    _coverage(ax, result)
    for truth in result.truth_paths:
        ax.plot(truth[:, 2], truth[:, 1], color="black", linewidth=1.8, zorder=3)
        ax.plot(truth[-1, 2], truth[-1, 1], "x", color="black", markersize=9, zorder=7)
        ax.plot(truth[0, 2], truth[0, 1], "o", color="black", markersize=4, zorder=7)
    colours = regime_colours([k for k, _ in regimes])
    handles = [Line2D([], [], color="black", linewidth=1.8, label="true path (x: impact)")]
    for key, title in regimes:
        for track in result.paths.get((key, party), ()):
            ax.plot(track[:, 1], track[:, 0], ".", color=colours[key], markersize=2.2, zorder=4)
        estimate = result.ellipses.get((key, party))
        if estimate is not None:
            _ellipse(ax, estimate, colours[key])
        handles.append(Line2D([], [], color=colours[key], marker=".", label=title))
    for p, colour in PARTY_COLOURS.items():
        handles.append(Line2D([], [], color=colour, linewidth=0.8, label=f"{p} radar coverage"))
    handles.append(Line2D([], [], color="grey", linestyle="-", label="coverage at 50 km"))
    handles.append(Line2D([], [], color="grey", linestyle="--", label="coverage at 500 km"))
    ax.legend(handles=handles, loc="lower right", fontsize=7, framealpha=0.9)
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.set_aspect(1.0 / math.cos(math.radians(0.5 * (south + north))))
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    ax.set_title(
        f"{result.launch.key} {result.launch.missile}: {PARTY_NAMES.get(party, party)}'s "
        f"fused tracks; predicted impact, 95 % ellipse at T+{result.ellipse_t:.0f} s",
        fontsize=10,
    )
    ax.grid(True, linewidth=0.3, alpha=0.5)
    _inset(ax, result, regimes, party)
    fig.tight_layout()
    return _save(fig, path)


def _median_gain(result: LaunchResult, party: str, regime: str, base: str) -> float:
    better = [s.warning_s for run in result.scores[(regime, party)] for s in run]
    worse = [s.warning_s for run in result.scores[(base, party)] for s in run]
    gain = paired(better, worse, larger_is_better=True).gain
    return gain.median if gain.n else math.nan


def draw_warning_gain(
    results: Sequence[LaunchResult],
    path: Path,
    *,
    regimes: Sequence[tuple[str, str]],
    parties: Sequence[str],
    base: str = "alone",
) -> Path:
    """Median paired gain in warning before impact over ``base``, per launch and regime."""
    shown = [(k, t) for k, t in regimes if k not in (base, "actual")]
    colours = regime_colours([k for k, _ in regimes])
    fig = _figure(10.0, 3.2 * len(parties))
    axes = fig.subplots(len(parties), 1, squeeze=False)
    x = np.arange(len(results))
    width = 0.8 / max(len(shown), 1)
    for ax, party in zip(axes[:, 0], parties, strict=True):
        for i, (key, title) in enumerate(shown):
            gains = [_median_gain(r, party, key, base) / 60.0 for r in results]
            offset = (i - (len(shown) - 1) / 2) * width
            ax.bar(x + offset, gains, width, color=colours[key], label=title)
        ax.axhline(0.0, color="black", linewidth=0.6)
        ax.set_xticks(x, [r.launch.key for r in results], rotation=45, ha="right", fontsize=8)
        ax.set_ylabel("minutes")
        ax.set_title(
            f"{PARTY_NAMES.get(party, party)}: more warning before impact than alone "
            "(median, paired runs)",
            fontsize=10,
        )
        ax.grid(True, axis="y", linewidth=0.3, alpha=0.6)
    axes[0, 0].legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return _save(fig, path)


def _median_curve(result: LaunchResult, regime: str, party: str) -> tuple[Array, Array]:
    """Median impact error (km) over runs at each time since launch, first missile."""
    runs = [run[0] for run in result.scores.get((regime, party), ())]
    if not runs:
        return np.zeros(0), np.zeros(0)
    errors = np.array([s.error_m for s in runs]) / 1e3
    # A run without a track counts as the worst error; a median without a track is a gap.
    median = np.median(np.where(np.isnan(errors), np.inf, errors), axis=0)
    return runs[0].error_t, np.where(np.isfinite(median), median, np.nan)


def draw_impact_error(
    results: Sequence[LaunchResult],
    path: Path,
    *,
    regimes: Sequence[tuple[str, str]],
    party: str,
) -> Path:
    """Median impact-point error against time since launch, per launch and regime."""
    colours = regime_colours([k for k, _ in regimes])
    cols = min(4, len(results))
    rows = math.ceil(len(results) / cols)
    fig = _figure(3.6 * cols, 2.8 * rows)
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.flat[len(results) :]:
        ax.set_visible(False)
    for ax, result in zip(axes.flat, results, strict=False):
        for key, title in regimes:
            if key == "actual":
                continue
            t, err = _median_curve(result, key, party)
            ax.plot(t, err, color=colours[key], linewidth=1.2, label=title)
        ax.set_yscale("log")
        ax.set_ylim(0.05, 5000.0)
        ax.set_title(f"{result.launch.key} {result.launch.missile}", fontsize=9)
        ax.grid(True, which="both", linewidth=0.3, alpha=0.5)
        ax.tick_params(labelsize=7)
    axes[0, 0].set_ylabel("impact error (km)")
    axes[-1, 0].set_xlabel("time since launch (s)")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(
        f"{PARTY_NAMES.get(party, party)}: predicted impact point error (median over runs)",
        fontsize=11,
    )
    fig.tight_layout()
    return _save(fig, path)


def map_name(result: LaunchResult) -> str:
    """The file stem of a launch's map."""
    return f"map-{result.launch.key}"


def draw_launch_map(
    result: LaunchResult, out_dir: Path, regimes: Sequence[tuple[str, str]]
) -> Path:
    """The map of one launch into ``out_dir``, named by :func:`map_name`; its path."""
    return draw_map(result, out_dir / f"{map_name(result)}.png", regimes=regimes)


def draw_summaries(
    results: Sequence[LaunchResult],
    out_dir: Path,
    *,
    regimes: Sequence[tuple[str, str]],
    parties: Sequence[str],
) -> dict[str, Path]:
    """The pictures over every launch (warning gains, impact errors) into ``out_dir``."""
    out: dict[str, Path] = {}
    if any(k == "alone" for k, _ in regimes):
        out["warning-gain"] = draw_warning_gain(
            results, out_dir / "warning-gain.png", regimes=regimes, parties=parties
        )
    for party in parties:
        name = f"impact-error-{party}"
        out[name] = draw_impact_error(
            results, out_dir / f"{name}.png", regimes=regimes, party=party
        )
    return out


def draw_all(
    results: Sequence[LaunchResult],
    out_dir: Path,
    *,
    regimes: Sequence[tuple[str, str]],
    parties: Sequence[str],
) -> dict[str, Path]:
    """Every picture of the report into ``out_dir``; their paths by name."""
    out = {map_name(r): draw_launch_map(r, out_dir, regimes) for r in results}
    out.update(draw_summaries(results, out_dir, regimes=regimes, parties=parties))
    return out

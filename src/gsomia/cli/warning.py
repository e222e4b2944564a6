"""``gsomia warning``: trajectories, the dated-launch catalogue and the sensors in service.

Each command parses its options, calls the pure warning layer once and renders a Rich table
or, with ``--json``, a JSON document. Errors are raised as :mod:`gsomia.errors` and mapped to
exit codes by the main CLI.
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from gsomia.errors import InputError

if TYPE_CHECKING:  # the physics loads only when a command runs (fast --help)
    from gsomia.warning.scenario.solver import TrajectoryFit

app = typer.Typer(help="Missile-warning physics: trajectories, launches and sensors.")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _emit(payload: Any, table: Table, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        Console().print(table)


def trajectory_document(fit: TrajectoryFit, site_key: str) -> dict[str, Any]:
    """The JSON document of a solved trajectory."""
    f = fit.flight
    bo = f.burnout
    return {
        "format": "gsomia/trajectory-v1",
        "site": site_key,
        "missile": f.missile.key,
        "flight_time_s": round(f.flight_time_s, 1),
        "apogee_km": round(f.apogee_m / 1e3, 1),
        "range_km": round(f.range_m / 1e3, 1),
        "impact_bearing_deg": round(f.impact_bearing_deg, 2),
        "launch": {"lat": round(f.launch_lat_deg, 4), "lon": round(f.launch_lon_deg, 4)},
        "impact": {"lat": round(f.impact_lat_deg, 4), "lon": round(f.impact_lon_deg, 4)},
        "burnout": {
            "time_s": round(bo.t, 1),
            "altitude_km": round(bo.altitude_m / 1e3, 1),
            "speed_ms": round(bo.speed_ms, 1),
            "flight_path_deg": round(bo.flight_path_deg, 2),
        },
        "programme": {
            "azimuth_deg": round(f.programme.azimuth_deg, 3),
            "pitch_deg": round(f.programme.pitch_deg, 3),
            "cutoff_s": round(f.programme.cutoff_s, 2),
        },
        "kepler_flight_time_s": None if fit.kepler is None else round(fit.kepler.flight_time_s, 1),
    }


@app.command()
def trajectory(
    site: Annotated[str, typer.Option(help="Launch site key, e.g. sunan.")],
    azimuth: Annotated[float, typer.Option(help="Bearing launch point to impact (deg).")],
    apogee: Annotated[float, typer.Option(help="Reported apogee (km).")],
    range_km: Annotated[float, typer.Option("--range", help="Reported ground range (km).")],
    missile: Annotated[str | None, typer.Option(help="Missile class (default: inferred).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Fit the trajectory that matches a reported apogee and range, and show it."""
    from gsomia.warning.scenario.missiles import missile_class
    from gsomia.warning.scenario.sites import launch_site
    from gsomia.warning.scenario.solver import fit_trajectory

    if apogee <= 0 or range_km <= 0:
        raise InputError("apogee and range must be positive")
    where = launch_site(site)
    cls = None if missile is None else missile_class(missile)
    fit = fit_trajectory(
        lat_deg=where.lat_deg,
        lon_deg=where.lon_deg,
        height_m=where.height_m,
        bearing_deg=azimuth,
        apogee_m=apogee * 1e3,
        range_m=range_km * 1e3,
        missile=cls,
    )
    doc = trajectory_document(fit, where.key)
    table = Table(title=f"{fit.flight.missile.name} from {where.name}")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    rows = [
        ("flight time", f"{doc['flight_time_s']:.0f} s ({doc['flight_time_s'] / 60:.1f} min)"),
        ("Kepler arc from the ground", f"{doc['kepler_flight_time_s']:.0f} s"),
        ("apogee", f"{doc['apogee_km']:.0f} km"),
        ("range", f"{doc['range_km']:.0f} km"),
        (
            "burnout",
            f"{doc['burnout']['time_s']:.0f} s, {doc['burnout']['altitude_km']:.0f} km, "
            f"{doc['burnout']['speed_ms']:.0f} m/s, {doc['burnout']['flight_path_deg']:.1f} deg",
        ),
        ("launch", f"{doc['launch']['lat']:.3f} N, {doc['launch']['lon']:.3f} E"),
        ("impact", f"{doc['impact']['lat']:.3f} N, {doc['impact']['lon']:.3f} E"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    _emit(doc, table, as_json)


@app.command()
def launches(as_json: JsonFlag = False) -> None:
    """List the dated launches with each side's reported figures."""
    from gsomia.warning.scenario.launches import dated_launches

    docs = []
    table = Table(title="Dated launches (spec §2)")
    for col in ("date", "missile", "site", "fitted", "reported"):
        table.add_column(col)
    for dl in dated_launches():
        reported = [
            {
                k: v
                for k, v in {
                    "source": r.source,
                    "apogee_km": r.apogee_km,
                    "range_km": r.range_km,
                    "flight_time_s": r.flight_time_s,
                    "missiles": r.missiles,
                    "note": r.note,
                }.items()
                if v not in (None, "")
            }
            for r in dl.reported
        ]
        docs.append(
            {
                "key": dl.key,
                "missile": dl.missile,
                "site": dl.site,
                "bearing_deg": dl.bearing_deg,
                "local_time": None if dl.local_time is None else dl.local_time.isoformat("minutes"),
                "rounds": [
                    {"offset_s": r.offset_s, "apogee_km": r.apogee_km, "range_km": r.range_km}
                    for r in dl.rounds
                ],
                "fit_basis": dl.fit_basis,
                "reported": reported,
            }
        )
        fitted = ", ".join(f"{r.apogee_km:g}/{r.range_km:g} km" for r in dl.rounds)
        said = "; ".join(
            f"{r.source}: "
            + "/".join(f"{v:g}" for v in (r.apogee_km, r.range_km) if v is not None)
            + (f" {r.flight_time_s / 60:.0f} min" if r.flight_time_s else "")
            for r in dl.reported
        )
        table.add_row(dl.key, dl.missile, dl.site, fitted, said)
    _emit({"format": "gsomia/launches-v1", "launches": docs}, table, as_json)


@app.command()
def sensors(
    on: Annotated[str, typer.Option("--on", help="Date, YYYY-MM-DD.")],
    as_json: JsonFlag = False,
) -> None:
    """List each party's sensors in service on a date."""
    from gsomia.warning.scenario.sensor_catalogue import sensors_in_service
    from gsomia.warning.sensors.infrared import InfraredSatellite
    from gsomia.warning.sensors.radar import Radar

    try:
        day = date.fromisoformat(on)
    except ValueError as exc:
        raise InputError(f"not a date (YYYY-MM-DD): {on!r}") from exc
    found = sensors_in_service(day)
    table = Table(title=f"Sensors in service on {day.isoformat()}")
    for col in ("party", "sensor", "kind", "position", "reach"):
        table.add_column(col)
    docs: dict[str, list[dict[str, Any]]] = {}
    for party, items in found.items():
        for s in items:
            if isinstance(s, Radar):
                doc: dict[str, Any] = {
                    "name": s.name,
                    "kind": s.kind,
                    "lat": s.lat_deg,
                    "lon": s.lon_deg,
                    "height_m": s.height_m,
                    "approximate": s.approximate,
                    "in_service": s.in_service.isoformat(),
                    "reach_km": s.reach_m / 1e3,
                    "elevation_mask_deg": s.elevation_mask_deg,
                    "revisit_s": s.revisit_s,
                }
                where = f"{s.lat_deg:.2f} N {s.lon_deg:.2f} E" + (" (approx.)" * s.approximate)
                table.add_row(party, s.name, s.kind, where, f"{s.reach_m / 1e3:.0f} km")
            elif isinstance(s, InfraredSatellite):
                doc = {
                    "name": s.name,
                    "kind": "infrared early warning",
                    "in_service": s.in_service.isoformat(),
                    "delay_s": s.delay_s,
                }
                table.add_row(party, s.name, "infrared", "space", f"cue after {s.delay_s:.0f} s")
            else:
                raise TypeError(f"no sensors-v1 row for a {type(s).__name__}")
            docs.setdefault(party, []).append(doc)
    _emit({"format": "gsomia/sensors-v1", "on": day.isoformat(), "parties": docs}, table, as_json)

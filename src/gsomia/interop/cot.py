"""Cursor-on-Target events for a missile warning: the track, its launch point and its
predicted impact point with the 95 % ellipse (CoT event schema 2.0, MIL-STD-2525 types).

Each warning becomes up to three ``<event>`` elements, ``uid`` ``gsomia.<originator>.<track>``
followed by ``.track``, ``.launch`` or ``.impact``:

* the track, type ``a-h-A-W-M-S-S`` (hostile air track, surface-to-surface missile in
  flight), at the state's position, with ``<track course speed>``;
* the launch point, type ``a-h-G-E-W-M`` (hostile ground equipment, missile launcher);
* the predicted impact point, type ``b-m-p-s-p-i`` (a map point of interest: MIL-STD-2525
  has no symbol for a predicted impact point), with ``<shape><ellipse>`` holding the 95 %
  ellipse's semi-axes (m) and the major axis's azimuth (degrees).

The marking goes inside ``<detail>`` (``<gsomia_marking>`` with the holder's level, the
originator's, the agreement and the releasability, and ``<remarks>`` with the same words):
TAK servers forward ``<detail>`` as it is but may drop event attributes. The event's
``access`` attribute carries the holder's English-equivalent marking as well.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import numpy as np

from gsomia.interop.stix import Marking, timestamp
from gsomia.warning.geo.frames import ecef_to_geodetic, enu_rotation
from gsomia.warning.tracking.picture import GroundEstimate
from gsomia.warning.tracking.sharing import SharedWarning

__all__ = ["IMPACT_TYPE", "LAUNCH_TYPE", "TRACK_TYPE", "cot_events"]

TRACK_TYPE = "a-h-A-W-M-S-S"
LAUNCH_TYPE = "a-h-G-E-W-M"
IMPACT_TYPE = "b-m-p-s-p-i"
#: How long a track event stays current without an update.
TRACK_STALE = timedelta(seconds=30)
#: How long a ground point stays current after its own time.
POINT_STALE = timedelta(minutes=10)


def _marking(detail: ET.Element, marking: Marking, access: str) -> None:
    ET.SubElement(
        detail,
        "gsomia_marking",
        {
            "classification": access,
            "holder": marking.holder,
            "holder_level": marking.holder_level,
            "originator": marking.originator,
            "level": marking.level,
            "agreement": marking.agreement_id,
            "releasable_to": " ".join(marking.releasable_to),
        },
    )
    ET.SubElement(detail, "remarks").text = f"{access}; {marking.name()}"


def _event(
    *, uid: str, kind: str, at: datetime, start: datetime, stale: datetime, access: str
) -> ET.Element:
    return ET.Element(
        "event",
        {
            "version": "2.0",
            "uid": uid,
            "type": kind,
            "how": "m-f",
            "time": timestamp(at),
            "start": timestamp(start),
            "stale": timestamp(stale),
            "access": access,
        },
    )


def _point(event: ET.Element, *, lat: float, lon: float, hae: float, ce: float, le: float) -> None:
    ET.SubElement(
        event,
        "point",
        {
            "lat": f"{lat:.6f}",
            "lon": f"{lon:.6f}",
            "hae": f"{hae:.1f}",
            "ce": f"{min(ce, 9_999_999.0):.1f}",
            "le": f"{min(le, 9_999_999.0):.1f}",
        },
    )


def _track(
    warning: SharedWarning, uid: str, epoch: datetime, sent: datetime, access: str
) -> ET.Element:
    start = epoch + timedelta(seconds=warning.t)
    event = _event(
        uid=f"{uid}.track", kind=TRACK_TYPE, at=sent, start=start, stale=start + TRACK_STALE,
        access=access,
    )  # fmt: skip
    lat, lon, h = (float(np.asarray(v).reshape(-1)[0]) for v in ecef_to_geodetic(warning.state[:3]))
    sigma = math.sqrt(max(sum(warning.cov[i][i] for i in range(3)), 0.0))
    _point(event, lat=lat, lon=lon, hae=h, ce=sigma, le=sigma)
    east, north, _up = np.asarray(enu_rotation(lat, lon)).reshape(3, 3) @ np.array(
        warning.state[3:6]
    )
    detail = ET.SubElement(event, "detail")
    ET.SubElement(
        detail,
        "track",
        {
            "course": f"{math.degrees(math.atan2(east, north)) % 360.0:.2f}",
            "speed": f"{math.hypot(east, north):.1f}",
        },
    )
    ET.SubElement(detail, "contact", {"callsign": f"{warning.originator} {warning.warning_id}"})
    return event


def _ground(
    point: GroundEstimate, *, uid: str, kind: str, epoch: datetime, sent: datetime, access: str
) -> ET.Element:
    when = epoch + timedelta(seconds=point.t)
    event = _event(uid=uid, kind=kind, at=sent, start=when, stale=when + POINT_STALE, access=access)
    cov = point.enu_cov
    sigma = math.sqrt(max(cov[0][0] + cov[1][1], 0.0))
    _point(event, lat=point.lat_deg, lon=point.lon_deg, hae=0.0, ce=sigma, le=9_999_999.0)
    detail = ET.SubElement(event, "detail")
    if kind == IMPACT_TYPE:
        major, minor, angle = point.ellipse()
        shape = ET.SubElement(detail, "shape")
        ET.SubElement(
            shape,
            "ellipse",
            {"major": f"{major:.1f}", "minor": f"{minor:.1f}", "angle": f"{angle:.2f}"},
        )
    return event


def cot_events(
    warning: SharedWarning, *, epoch: datetime, sent_at: datetime, marking: Marking, access: str
) -> list[bytes]:
    """The CoT events of one warning, each a UTF-8 XML document.

    ``epoch`` is the absolute time of the warning's second 0; ``sent_at`` the event time;
    ``access`` the holder's marking in words (``SECRET//REL TO JPN, KOR``).
    """
    uid = f"gsomia.{warning.originator}.{warning.warning_id}"
    events = [_track(warning, uid, epoch, sent_at, access)]
    for point, suffix, kind in (
        (warning.launch, "launch", LAUNCH_TYPE),
        (warning.impact, "impact", IMPACT_TYPE),
    ):
        if point is not None:
            events.append(
                _ground(
                    point,
                    uid=f"{uid}.{suffix}",
                    kind=kind,
                    epoch=epoch,
                    sent=sent_at,
                    access=access,
                )
            )
    out = []
    for event in events:
        detail = event.find("detail")
        if detail is None:
            detail = ET.SubElement(event, "detail")
        _marking(detail, marking, access)
        if event.get("type") != TRACK_TYPE:
            ET.SubElement(
                detail, "link", {"uid": f"{uid}.track", "type": TRACK_TYPE, "relation": "p-p"}
            )
        out.append(ET.tostring(event, encoding="utf-8", xml_declaration=True))
    return out

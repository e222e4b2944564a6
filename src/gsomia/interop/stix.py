"""STIX 2.1 objects for items, their markings and missile warnings (OASIS STIX 2.1).

Identifiers are derived, never random, so that a re-export names every object the same:
the UUID is the SHA-1 name-based UUID (RFC 4122 §4.3, as UUIDv5) of a gsomia name in
:data:`NAMESPACE`. STIX 2.1 §2.9 asks that SDO, SRO and SMO ids be version 4 and strict
validators enforce it, so for those the version nibble is set to 4 (the bits are still
SHA-1's, which is as unpredictable as a random source for this purpose); SCO ids are true
version 5, as §2.9 asks of them.

Three extension definitions (§7.3) carry what STIX has no property for:

* :data:`MARKING_EXTENSION`, a property extension of ``marking-definition``: the agreement,
  the originator and its level, the holder and its national level, the releasability and
  the topic of the items it marks (label-v1);
* :data:`ITEM_EXTENSION`, a property extension of the item's object: item id, label digest,
  purpose, when it was provided and its review date;
* :data:`WARNING_EXTENSION`, a new SDO ``gsomia-missile-warning``: launch point, trajectory
  state and predicted impact point with its 95 % ellipse (RT-1).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from gsomia.core.labels import Label
from gsomia.errors import InputError
from gsomia.warning.tracking.picture import GroundEstimate
from gsomia.warning.tracking.sharing import SharedWarning

__all__ = [
    "EPOCH",
    "ITEM_EXTENSION",
    "MARKING_EXTENSION",
    "NAMESPACE",
    "STIX_MEDIA_TYPE",
    "WARNING_EXTENSION",
    "WARNING_TYPE",
    "Marking",
    "common_objects",
    "item_object",
    "party_identity",
    "stix_id",
    "timestamp",
    "warning_object",
]

#: The namespace of every id gsomia derives (pinned: changing it renames every object).
NAMESPACE = uuid.UUID("5d3f8b1e-2f0c-4c8e-9a57-0b6c6d1e9f42")
#: The STIX media type of TAXII 2.1 envelopes and objects.
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
#: ``created`` of the objects gsomia defines once (identities, extension definitions).
EPOCH = "2026-12-01T00:00:00.000Z"
WARNING_TYPE = "gsomia-missile-warning"

_SCO_TYPES = frozenset(
    {
        "artifact", "autonomous-system", "directory", "domain-name", "email-addr",
        "email-message", "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex",
        "network-traffic", "process", "software", "url", "user-account",
        "windows-registry-key", "x509-certificate",
    }
)  # fmt: skip
_TYPE = re.compile(r"^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def stix_id(kind: str, name: str) -> str:
    """``kind--uuid`` derived from ``name`` in :data:`NAMESPACE` (v5 bits; v4 marked for
    everything but SCOs, see the module docstring)."""
    derived = uuid.uuid5(NAMESPACE, name)
    if kind not in _SCO_TYPES:
        derived = uuid.UUID(bytes=derived.bytes, version=4)
    return f"{kind}--{derived}"


def is_stix_id(value: object, kind: str | None = None) -> bool:
    """Whether ``value`` is ``type--uuid`` with a UUID of version 1 to 5 (STIX 2.1 §2.9)."""
    if not isinstance(value, str) or "--" not in value:
        return False
    head, _, tail = value.partition("--")
    return bool(_TYPE.fullmatch(head)) and bool(_UUID.fullmatch(tail)) and kind in (None, head)


def timestamp(at: datetime) -> str:
    """A STIX timestamp in UTC with milliseconds: ``2019-10-02T09:00:00.000Z``."""
    if at.tzinfo is None:
        raise InputError("a STIX timestamp needs a timezone-aware time")
    utc = at.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


# Identities and extension definitions ----------------------------------------------------

GSOMIA_IDENTITY = stix_id("identity", "gsomia")
MARKING_EXTENSION = stix_id("extension-definition", "gsomia/marking-v1")
ITEM_EXTENSION = stix_id("extension-definition", "gsomia/item-v1")
WARNING_EXTENSION = stix_id("extension-definition", "gsomia/missile-warning-v1")

_EXTENSIONS: tuple[tuple[str, str, str, str], ...] = (
    (
        MARKING_EXTENSION,
        "gsomia marking",
        "property-extension",
        "Properties of a marking-definition: agreement and agreement_version (the agreement "
        "the items were provided under, ADatP-4774 PolicyIdentifier), originator and level "
        "(the originating party and its level in its own scheme, PARTY:NAME), holder and "
        "holder_level (the party holding the items and its equivalent national level), "
        "releasable_to (party codes) and topic (need-to-know topic); all strings, "
        "releasable_to a list of strings; every property required.",
    ),
    (
        ITEM_EXTENSION,
        "gsomia item",
        "property-extension",
        "Properties of the object an item is exported as: item (32 hex digits), label "
        "(sha256: digest of the item's current label-v1 version), purpose (text), "
        "provided_at (timestamp) and review_on (date YYYY-MM-DD); all strings, all required.",
    ),
    (
        WARNING_EXTENSION,
        "gsomia missile warning",
        "new-sdo",
        "A new SDO gsomia-missile-warning: name, originator (party code), warning (the "
        "originator's name for the track), state_time (timestamp of the trajectory state), "
        "position_ecef_m and velocity_ecef_m_s (lists of 3 numbers, WGS-84 ECEF), "
        "position_sigma_m (number), and optional launch_point and impact_point, each a "
        "dictionary of latitude, longitude (degrees), time (timestamp), time_sigma_s, "
        "semi_major_m, semi_minor_m, orientation_deg (azimuth of the major axis) and "
        "confidence (0.95).",
    ),
)


def _extension_definition(ext_id: str, name: str, kind: str, schema: str) -> dict[str, Any]:
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": ext_id,
        "created": EPOCH,
        "modified": EPOCH,
        "created_by_ref": GSOMIA_IDENTITY,
        "name": name,
        "description": f"{name} (gsomia interop, docs/interop.md)",
        "schema": schema,
        "version": "1.0.0",
        "extension_types": [kind],
    }


def party_identity(party: str) -> dict[str, Any]:
    """The identity of a government party (its code is its name in gsomia)."""
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": stix_id("identity", f"party:{party}"),
        "created": EPOCH,
        "modified": EPOCH,
        "name": f"Government party {party}",
        "identity_class": "organization",
        "sectors": ["government-national", "defense"],
    }


def common_objects(parties: tuple[str, ...]) -> list[dict[str, Any]]:
    """The objects every export refers to: gsomia's identity, the three extension
    definitions, and the identity of each party in ``parties``."""
    me = {
        "type": "identity",
        "spec_version": "2.1",
        "id": GSOMIA_IDENTITY,
        "created": EPOCH,
        "modified": EPOCH,
        "name": "gsomia",
        "identity_class": "system",
    }
    defs = [_extension_definition(*spec) for spec in _EXTENSIONS]
    return [me, *defs, *(party_identity(p) for p in sorted(set(parties)))]


# Markings ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Marking:
    """What a holder's marking of an item says (JK-4.2), as a STIX marking definition."""

    agreement_id: str
    agreement_version: str
    originator: str
    level: str
    holder: str
    holder_level: str
    releasable_to: tuple[str, ...]
    topic: str
    id: str = field(default="", init=False, compare=False)

    def __post_init__(self) -> None:
        # The marking definition's id: derived from every property, so it never changes.
        key = json.dumps(self.properties(), sort_keys=True, separators=(",", ":"))
        object.__setattr__(self, "id", stix_id("marking-definition", f"marking:{key}"))

    @classmethod
    def of(cls, label: Label, *, holder: str) -> Marking:
        """The marking of ``label`` as ``holder`` holds it (its own equivalent level)."""
        holder_level = label.level if holder == label.originator else label.equivalent_for(holder)
        if holder_level is None:
            raise InputError(f"the label gives {holder} no level")
        return cls(
            agreement_id=label.agreement_id,
            agreement_version=label.agreement_version,
            originator=label.originator,
            level=label.level,
            holder=holder,
            holder_level=holder_level,
            releasable_to=tuple(sorted({label.originator, *label.releasable_to})),
            topic=label.topic,
        )

    def properties(self) -> dict[str, Any]:
        """The extension's properties."""
        return {
            "agreement": self.agreement_id,
            "agreement_version": self.agreement_version,
            "originator": self.originator,
            "level": self.level,
            "holder": self.holder,
            "holder_level": self.holder_level,
            "releasable_to": list(self.releasable_to),
            "topic": self.topic,
        }

    def name(self) -> str:
        """A line a person reads: holder level, agreement, releasability."""
        rel = "/".join(self.releasable_to)
        return f"{self.holder_level} ({self.level}) {self.agreement_id} REL TO {rel}"

    def to_stix(self) -> dict[str, Any]:
        """The ``marking-definition`` (STIX 2.1 §7.2 with an extension, no definition_type)."""
        return {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": self.id,
            "created": EPOCH,
            "created_by_ref": stix_id("identity", f"party:{self.holder}"),
            "name": self.name(),
            "extensions": {
                MARKING_EXTENSION: {"extension_type": "property-extension", **self.properties()}
            },
        }

    @classmethod
    def from_stix(cls, obj: Any) -> Marking:
        """Read a gsomia marking definition; raises :class:`InputError` naming what is wrong."""
        ext = obj.get("extensions", {}).get(MARKING_EXTENSION) if isinstance(obj, dict) else None
        if not isinstance(ext, dict):
            raise InputError("the marking definition does not carry the gsomia marking extension")
        try:
            marking = cls(
                agreement_id=str(ext["agreement"]),
                agreement_version=str(ext["agreement_version"]),
                originator=str(ext["originator"]),
                level=str(ext["level"]),
                holder=str(ext["holder"]),
                holder_level=str(ext["holder_level"]),
                releasable_to=tuple(str(p) for p in ext["releasable_to"]),
                topic=str(ext["topic"]),
            )
        except (KeyError, TypeError) as exc:
            raise InputError(f"the gsomia marking lacks or misspells {exc}") from None
        if obj.get("id") != marking.id:
            raise InputError(f"marking {obj.get('id')!r} is not named after its properties")
        return marking


# Items -------------------------------------------------------------------------------------


def stix_content(content: bytes) -> dict[str, Any] | None:
    """The STIX 2.1 object an item's content is, if it is one (ingested items), else None."""
    if not content.startswith(b"{"):
        return None
    try:
        obj = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(obj, dict) or not is_stix_id(obj.get("id"), obj.get("type")):
        return None
    return obj if obj.get("spec_version", "2.1") == "2.1" else None


def item_object(
    *, item_id: str, label: Label, label_digest: str, content: bytes, marking: Marking
) -> dict[str, Any]:
    """The STIX object an item is exported as, carrying its marking.

    An item whose content is a STIX 2.1 object (it was ingested from a bundle) is that object;
    any other content is an ``artifact`` (§6.1) with the bytes in ``payload_bin``.
    """
    ext = {
        "extension_type": "property-extension",
        "item": item_id,
        "label": label_digest,
        "purpose": label.purpose,
        "provided_at": timestamp(label.created_at),
        "review_on": label.review_on.isoformat(),
    }
    obj = stix_content(content)
    if obj is None:
        obj = {
            "type": "artifact",
            "spec_version": "2.1",
            "id": stix_id("artifact", f"item:{item_id}"),
            "mime_type": "application/octet-stream",
            "payload_bin": base64.b64encode(content).decode("ascii"),
            "hashes": {"SHA-256": hashlib.sha256(content).hexdigest()},
        }
    obj.pop("granular_markings", None)
    obj["object_marking_refs"] = [marking.id]
    obj["extensions"] = {**obj.get("extensions", {}), ITEM_EXTENSION: ext}
    return obj


def object_version(obj: dict[str, Any], *, date_added: str) -> str:
    """The TAXII version of an object: ``modified``, else ``created``, else when it was
    added (TAXII 2.1 §3.4.1)."""
    return str(obj.get("modified") or obj.get("created") or date_added)


# Missile warnings ------------------------------------------------------------------------------


def _ground(point: GroundEstimate | None, epoch: datetime) -> dict[str, Any] | None:
    if point is None:
        return None
    major, minor, orientation = point.ellipse()
    return {
        "latitude": round(point.lat_deg, 6),
        "longitude": round(point.lon_deg, 6),
        "time": timestamp(epoch + timedelta(seconds=point.t)),
        "time_sigma_s": round(point.t_sigma_s, 3),
        "semi_major_m": round(major, 1),
        "semi_minor_m": round(minor, 1),
        "orientation_deg": round(orientation, 2),
        "confidence": point.confidence,
    }


def warning_object(warning: SharedWarning, *, epoch: datetime, marking: Marking) -> dict[str, Any]:
    """The ``gsomia-missile-warning`` SDO of one warning version.

    ``epoch`` is the absolute time of the warning's scenario second 0 (the wire form counts
    seconds from it). One object per track, one version per update (``modified``).
    """
    at = timestamp(epoch + timedelta(seconds=warning.t))
    trace = sum(warning.cov[i][i] for i in range(3))
    obj: dict[str, Any] = {
        "type": WARNING_TYPE,
        "spec_version": "2.1",
        "id": stix_id(WARNING_TYPE, f"warning:{warning.originator}:{warning.warning_id}"),
        "created": at,
        "modified": at,
        "created_by_ref": stix_id("identity", f"party:{warning.originator}"),
        "name": f"Missile warning {warning.originator} {warning.warning_id}",
        "originator": warning.originator,
        "warning": warning.warning_id,
        "state_time": at,
        "position_ecef_m": [round(v, 1) for v in warning.state[:3]],
        "velocity_ecef_m_s": [round(v, 2) for v in warning.state[3:6]],
        "position_sigma_m": round(math.sqrt(max(trace, 0.0)), 1),
        "object_marking_refs": [marking.id],
        "extensions": {WARNING_EXTENSION: {"extension_type": "new-sdo"}},
    }
    for key, point in (("launch_point", warning.launch), ("impact_point", warning.impact)):
        ground = _ground(point, epoch)
        if ground is not None:
            obj[key] = ground
    return obj


def decode_payload(obj: dict[str, Any]) -> bytes:
    """The bytes of an ``artifact``'s ``payload_bin``; raises :class:`InputError`."""
    try:
        return base64.b64decode(str(obj["payload_bin"]), validate=True)
    except (KeyError, binascii.Error, ValueError):
        raise InputError(f"{obj.get('id')}: payload_bin is missing or not base64") from None

"""STIX 2.1 mapping: derived ids, markings, items, warnings, and the ingest plan that
refuses an envelope whole when anything cannot be mapped (ecosystem review finding 2:
gsomia's time-ordered ids are not STIX ids, so ids are derived with UUIDv5)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from gsomia.core.labels import Label
from gsomia.errors import InputError
from gsomia.interop.stix import (
    ITEM_EXTENSION,
    NAMESPACE,
    Marking,
    common_objects,
    is_stix_id,
    item_object,
    stix_id,
    warning_object,
)
from gsomia.interop.taxii import ObjectQuery, plan_ingest
from gsomia.warning.tracking.picture import GroundEstimate
from gsomia.warning.tracking.sharing import WARNING_FORMAT, SharedWarning

LABEL = Label(
    item_id="0193a1b2c3d4e5f60718293a4b5c6d7e",
    agreement_id="jpn-kor-gsomia",
    agreement_version="2016",
    originator="JPN",
    level="JPN:GOKUHI",
    equivalents=(("KOR", "KOR:GUNSA_II"),),
    releasable_to=("KOR",),
    topic="nk-missile",
    purpose="missile warning",
    created_at=datetime(2019, 10, 2, 9, tzinfo=UTC),
    review_on=date(2024, 10, 2),
    content_digest="sha256:" + "00" * 32,
)


def test_ids_are_derived_stable_and_valid_stix_ids() -> None:
    gsomia_id = LABEL.item_id
    assert not is_stix_id(f"artifact--{uuid.UUID(gsomia_id)}")  # time-ordered: no version
    sco, sdo = stix_id("artifact", gsomia_id), stix_id("report", gsomia_id)
    assert sco == stix_id("artifact", gsomia_id) and is_stix_id(sco) and is_stix_id(sdo)
    assert uuid.UUID(sco.split("--")[1]).version == 5
    assert uuid.UUID(sdo.split("--")[1]).version == 4
    assert sco.split("--")[1] == str(uuid.uuid5(NAMESPACE, gsomia_id))
    assert stix_id("artifact", "other") != sco


def test_marking_round_trips_and_depends_on_every_property() -> None:
    kor = Marking.of(LABEL, holder="KOR")
    assert kor.holder_level == "KOR:GUNSA_II" and kor.releasable_to == ("JPN", "KOR")
    assert Marking.from_stix(kor.to_stix()) == kor
    assert Marking.of(LABEL, holder="JPN").id != kor.id
    forged = kor.to_stix()
    forged["extensions"][next(iter(forged["extensions"]))]["holder_level"] = "KOR:GUNSA_III"
    with pytest.raises(InputError, match="not named after its properties"):
        Marking.from_stix(forged)


def test_items_carry_their_marking_as_artifacts_or_as_the_stix_they_hold() -> None:
    marking = Marking.of(LABEL, holder="KOR")
    raw = item_object(
        item_id=LABEL.item_id, label=LABEL, label_digest=LABEL.digest(), content=b"\x00bytes",
        marking=marking,
    )  # fmt: skip
    assert raw["type"] == "artifact" and raw["object_marking_refs"] == [marking.id]
    assert raw["extensions"][ITEM_EXTENSION]["label"] == LABEL.digest()
    indicator = {"type": "indicator", "spec_version": "2.1", "id": stix_id("indicator", "x")}
    held = item_object(
        item_id=LABEL.item_id, label=LABEL, label_digest=LABEL.digest(),
        content=json.dumps(indicator).encode(), marking=marking,
    )  # fmt: skip
    assert held["id"] == indicator["id"] and held["object_marking_refs"] == [marking.id]


def test_a_warning_is_one_sdo_per_track_with_its_95_percent_ellipse() -> None:
    impact = GroundEstimate(
        t=400.0, t_sigma_s=3.0, lat_deg=40.0, lon_deg=136.0, enu_cov=((4e6, 0.0), (0.0, 1e6))
    )
    cov = tuple(tuple(float(i == j) for j in range(6)) for i in range(6))
    warning = SharedWarning(
        format=WARNING_FORMAT, originator="KOR", warning_id="t1", t=100.0,
        state=(1.0, 2.0, 3.0, 4.0, 5.0, 6.0), cov=cov, launch=None, impact=impact,
    )  # fmt: skip
    epoch = datetime(2019, 10, 2, 7, tzinfo=UTC)
    obj = warning_object(warning, epoch=epoch, marking=Marking.of(LABEL, holder="KOR"))
    again = warning_object(warning, epoch=epoch, marking=Marking.of(LABEL, holder="KOR"))
    assert obj["id"] == again["id"] and obj["modified"] == "2019-10-02T07:01:40.000Z"
    point = obj["impact_point"]
    assert point["time"] == "2019-10-02T07:06:40.000Z" and point["confidence"] == 0.95
    assert point["semi_major_m"] > point["semi_minor_m"] > 0 and "launch_point" not in obj


def envelope(**changes: Any) -> dict[str, Any]:
    marking = Marking.of(LABEL, holder="JPN")
    objects = [
        marking.to_stix(),
        *common_objects(("JPN", "KOR")),
        {
            "type": "indicator", "spec_version": "2.1", "id": stix_id("indicator", "i1"),
            "created": "2019-10-02T09:00:00.000Z", "modified": "2019-10-02T09:00:00.000Z",
            "pattern": "[file:name = 'x']", "pattern_type": "stix",
            "valid_from": "2019-10-02T09:00:00Z",
            "object_marking_refs": [marking.id],
        },
        {
            "type": "relationship", "spec_version": "2.1", "id": stix_id("relationship", "r1"),
            "created": "2019-10-02T09:00:00.000Z", "modified": "2019-10-02T09:00:00.000Z",
            "relationship_type": "indicates", "source_ref": stix_id("indicator", "i1"),
            "target_ref": stix_id("indicator", "i1"), "object_marking_refs": [marking.id],
        },
    ]  # fmt: skip
    body: dict[str, Any] = {"objects": objects}
    for key, change in changes.items():
        change(body)
        del key
    return body


def test_an_envelope_becomes_one_provision() -> None:
    plan = plan_ingest(envelope(), party="JPN", agreement_id="jpn-kor-gsomia")
    assert plan.recipient == "KOR" and plan.marking.level == "JPN:GOKUHI"
    assert plan.stix_ids == (stix_id("indicator", "i1"), stix_id("relationship", "r1"))
    assert all(b"object_marking_refs" not in c for c in plan.contents)


def _objects(body: dict[str, Any]) -> list[dict[str, Any]]:
    return body["objects"]  # type: ignore[no-any-return]


TLP = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
TIME_ORDERED = "indicator--0193a1b2-c3d4-e5f6-0718-293a4b5c6d7e"


def _set(i: int, **values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda b: _objects(b)[i].update(values)


def _add_tlp(body: dict[str, Any]) -> None:
    _objects(body)[-2]["object_marking_refs"].append(TLP)


REFUSALS: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("no marking", lambda b: _objects(b).pop(0), "one marking definition"),
    ("outside ref", _set(-1, target_ref=stix_id("malware", "m")), "does not hold"),
    ("tlp too", _add_tlp, "gsomia marking only"),
    ("time-ordered id", _set(-2, id=TIME_ORDERED), "valid type and id"),
    ("old spec", _set(-2, spec_version="2.0"), "2.1"),
    ("granular", _set(-2, granular_markings=[]), "gsomia marking only"),
    ("not a list", lambda b: b.update(objects={}), "objects"),
]


@pytest.mark.parametrize(("name", "edit", "message"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_an_envelope_that_cannot_be_mapped_is_refused_whole(
    name: str, edit: Callable[[dict[str, Any]], None], message: str
) -> None:
    body = envelope()
    edit(body)
    with pytest.raises(InputError, match=message):
        plan_ingest(body, party="JPN", agreement_id="jpn-kor-gsomia")


@pytest.mark.parametrize(
    ("party", "agreement", "message"),
    [("KOR", "jpn-kor-gsomia", "own items"), ("JPN", "tisa", "collection")],
)
def test_ingest_is_only_of_this_partys_items_under_this_agreement(
    party: str, agreement: str, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        plan_ingest(envelope(), party=party, agreement_id=agreement)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "0"}, "limit"),
        ({"next": "zz"}, "next"),
        ({"added_after": "2019-10-02"}, "added_after"),
        ({"match[id]": "nope"}, "match\\[id\\]"),
        ({"match[version]": "sometime"}, "match\\[version\\]"),
        ({"sort": "x"}, "unsupported"),
    ],
)
def test_bad_query_parameters_are_named(params: dict[str, str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        ObjectQuery.parse(params)


def test_versions_first_last_all() -> None:
    q = ObjectQuery.parse({"match[version]": "first,last"})
    assert q.pick_versions(["b", "a", "c"]) == {"a", "c"}
    assert ObjectQuery.parse({"match[version]": "all"}).pick_versions(["a", "b"]) == {"a", "b"}
    assert ObjectQuery.parse({"limit": "5000"}).limit == 1000

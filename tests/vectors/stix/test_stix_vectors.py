"""marking-v1, item-v1 and missile-warning-v1 against their committed vector: rebuilt byte
for byte, read back through the TAXII ingest and the marking reader, and refused with one
byte changed."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from gsomia.errors import InputError
from gsomia.interop import stix
from gsomia.interop.taxii import plan_ingest
from tests.support.vectors import assert_generator_writes, load_generator

HERE = Path(__file__).parent
generate = load_generator(HERE, "stix_vectors")

VECTOR = json.loads((HERE / "extensions-v1.json").read_text(encoding="utf-8"))
BUNDLE = VECTOR["bundle"]
AGREEMENT = "jpn-kor-gsomia"


def test_the_file_is_what_the_generator_writes() -> None:
    assert_generator_writes(HERE, generate.build())


@pytest.mark.parametrize("name", sorted(VECTOR["extension_ids"]))
def test_each_extension_id_derives_from_its_name(name: str) -> None:
    derived = uuid.UUID(bytes=uuid.uuid5(stix.NAMESPACE, name).bytes, version=4)
    assert VECTOR["extension_ids"][name] == f"extension-definition--{derived}"
    defined = [o for o in BUNDLE["objects"] if o["type"] == "extension-definition"]
    assert VECTOR["extension_ids"][name] in {o["id"] for o in defined}


def test_the_export_is_ingested_as_the_item_it_marks() -> None:
    plan = plan_ingest(BUNDLE, party="JPN", agreement_id=AGREEMENT)
    label = generate.label()
    assert plan.marking == stix.Marking.of(label, holder="JPN")
    assert plan.purpose == label.purpose
    (artifact,) = [o for o in BUNDLE["objects"] if o["type"] == "artifact"]
    assert plan.stix_ids == (artifact["id"],)
    assert stix.decode_payload(artifact) == VECTOR["content_utf8"].encode("utf-8")
    item = artifact["extensions"][stix.ITEM_EXTENSION]
    assert item["item"] == label.item_id and item["label"] == label.digest()
    assert stix.ITEM_EXTENSION not in json.loads(plan.contents[0]).get("extensions", {})


def _marking(bundle: dict[str, Any]) -> dict[str, Any]:
    (marking,) = [o for o in bundle["objects"] if o["type"] == "marking-definition"]
    return marking


def test_the_marking_definition_reads_back() -> None:
    marking = stix.Marking.from_stix(_marking(BUNDLE))
    assert marking.id == _marking(BUNDLE)["id"]
    assert marking.releasable_to == ("JPN", "KOR") and marking.level == "JPN:GOKUHI"


def _one_byte(text: str, old: str, new: str) -> str:
    assert len(old) == len(new) and sum(a != b for a, b in zip(old, new, strict=True)) == 1
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    "old,new",
    [
        ('"level": "JPN:GOKUHI"', '"level": "JPN:GOKUHJ"'),  # a property: the id no longer fits
        ('"releasable_to": ["JPN", "KOR"]', '"releasable_to": ["JPN", "KOS"]'),
        (stix.MARKING_EXTENSION, stix.MARKING_EXTENSION[:-1] + "0"),  # another extension
    ],
)
def test_the_export_with_one_byte_changed_in_its_marking_is_refused(old: str, new: str) -> None:
    changed = json.loads(_one_byte(json.dumps(BUNDLE), old, new))
    with pytest.raises(InputError):
        plan_ingest(changed, party="JPN", agreement_id=AGREEMENT)


def test_the_export_with_its_item_marked_otherwise_is_refused() -> None:
    text = json.dumps(BUNDLE)
    ref = _marking(BUNDLE)["id"]
    at = text.index(f'"object_marking_refs": ["{ref}"]') + len('"object_marking_refs": ["')
    changed = text[: at + len(ref) - 1] + ("0" if ref[-1] != "0" else "1") + text[at + len(ref) :]
    with pytest.raises(InputError):
        plan_ingest(json.loads(changed), party="JPN", agreement_id=AGREEMENT)


def test_the_warning_object_is_the_documented_new_sdo() -> None:
    obj = VECTOR["warning_object"]
    warning = generate.warning()
    assert obj["type"] == stix.WARNING_TYPE
    assert obj["extensions"] == {stix.WARNING_EXTENSION: {"extension_type": "new-sdo"}}
    assert obj["id"] == stix.stix_id(
        stix.WARNING_TYPE, f"warning:{warning.originator}:{warning.warning_id}"
    )
    assert obj["originator"] == warning.originator and obj["warning"] == warning.warning_id
    for key in ("position_ecef_m", "velocity_ecef_m_s"):
        assert len(obj[key]) == 3 and all(isinstance(v, float) for v in obj[key])
    assert isinstance(obj["position_sigma_m"], float) and obj["position_sigma_m"] >= 0
    assert obj["object_marking_refs"] == [_marking(BUNDLE)["id"]]
    for point in ("launch_point", "impact_point"):
        if point in obj:
            assert {"latitude", "longitude", "time", "confidence"} <= set(obj[point])


def test_a_warning_object_is_never_ingested_as_an_item() -> None:
    bundle = copy.deepcopy(BUNDLE)
    bundle["objects"].append(VECTOR["warning_object"])
    with pytest.raises(InputError, match="cannot be provided"):
        plan_ingest(bundle, party="JPN", agreement_id=AGREEMENT)

"""A TAXII manifest describes an item's object (its STIX id, type and version, read from
the content) only to a person the rules would let open it now (JK-6.e, JK-7.2, JK-16.x), as
the objects endpoint gives it: never from what another person opened before."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from gsomia.api.app import create_app
from gsomia.config import Limits
from gsomia.interop.stix import stix_id
from gsomia.interop.taxii import TAXII_MEDIA_TYPE
from gsomia.services.node import Node
from tests.support.edge import get_as
from tests.support.workflows import LEVEL, TOPIC, World, build, enrol, officer, registrar


def _report(name: str) -> bytes:
    return json.dumps(
        {
            "type": "report",
            "spec_version": "2.1",
            "id": stix_id("report", name),
            "created": "2019-10-02T09:00:00.000Z",
            "modified": "2019-10-02T09:00:00.000Z",
            "name": name,
            "published": "2019-10-02T09:00:00Z",
            "object_refs": [stix_id("location", name)],
        }
    ).encode()


class Taxii:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.app = create_app(node, limits=Limits(requests_per_minute_per_person=10**6))

    def get(self, person: str, path: str) -> Any:
        answer = get_as(self.node, person, path, app=self.app, headers={"Accept": TAXII_MEDIA_TYPE})
        assert answer.status_code == 200, answer.text
        return answer.json()

    def collection(self, title: str) -> str:
        found = self.get(officer("KOR"), "/taxii2/kor/collections/")["collections"]
        return next(c["id"] for c in found if c["title"] == title)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    made = build(tmp_path_factory.mktemp("manifest"))
    made.provide(contents=(_report("jpn-report"),))
    made.provide("USA", "KOR", agreement="kor-usa-gsomia", contents=(_report("usa-report"),))
    made.drain()
    kor = made["KOR"]
    need = frozenset({TOPIC})
    enrol(kor, "kor-unregistered", clearance=LEVEL["KOR"], need=need)
    kor.registry.add_facility(
        facility_id="kor-works", name="Works", contractor="Works Co", by=registrar("KOR")
    )
    enrol(
        kor,
        "kor-contractor",
        role="contractor-staff",
        clearance=LEVEL["KOR"],
        need=need,
        facilities=frozenset({"kor-works"}),
    )
    yield made
    for node in made.nodes.values():
        node.ctx.store.close()


def _ids(envelope: dict[str, Any], kind: str) -> set[str]:
    return {o["id"] for o in envelope.get("objects", []) if o["id"].startswith(kind)}


@pytest.mark.parametrize(
    ("title", "report"),
    [("Japan–ROK GSOMIA", "jpn-report"), ("ROK–US security agreement", "usa-report")],
)
@pytest.mark.parametrize("who", ["kor-unregistered", "kor-contractor"])
def test_a_manifest_describes_no_object_the_person_may_not_open(
    world: World, title: str, report: str, who: str
) -> None:
    taxii = Taxii(world["KOR"])
    base = f"/taxii2/kor/collections/{taxii.collection(title)}"
    # A security officer reads the objects: the node has opened them once.
    assert _ids(taxii.get(officer("KOR"), f"{base}/objects/"), "report") == {
        stix_id("report", report)
    }
    assert _ids(taxii.get(who, f"{base}/objects/"), "report") == set()
    assert _ids(taxii.get(who, f"{base}/manifest/"), "report") == set()
    # Whoever may open the item is described it from what was opened before.
    assert _ids(taxii.get(officer("KOR"), f"{base}/manifest/"), "report") == {
        stix_id("report", report)
    }

"""TAXII beyond reading items: the warnings collection read by OASIS ``taxii2-client`` and
every warning SDO checked by ``stix2-validator`` (strict); a STIX envelope posted to an
agreement's collection provided as items through the provide workflow, or refused whole."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_taxii_clients import run_client

from gsomia.interop.stix import Marking, stix_id
from gsomia.interop.taxii import TAXII_MEDIA_TYPE
from gsomia.warning.tracking.picture import GroundEstimate
from gsomia.warning.tracking.sharing import WARNING_FORMAT, SharedWarning
from tests.support.interop import serve
from tests.support.workflows import build, ledger_events, officer, official

pytestmark = pytest.mark.slow


def warning(t: float, track: str) -> SharedWarning:
    cov = tuple(tuple(1e4 if i == j else 0.0 for j in range(6)) for i in range(6))
    impact = GroundEstimate(
        t=t + 300, t_sigma_s=2.0, lat_deg=41.0, lon_deg=135.0, enu_cov=((9e6, 0.0), (0.0, 4e6))
    )
    return SharedWarning(
        format=WARNING_FORMAT, originator="KOR", warning_id=track, t=t,
        state=(-3.3e6, 3.5e6, 4.4e6, 900.0, 1200.0, 600.0), cov=cov, launch=None, impact=impact,
    )  # fmt: skip


def test_warnings_collection_through_taxii2_client(tmp_path: Path) -> None:
    world = build(tmp_path, parties=("JPN", "KOR"))
    stream = world["KOR"].feed.open_stream(recipient="JPN", level="군사II급비밀", by=officer("KOR"))
    world.drain()
    served = serve(world["JPN"], official("JPN"))  # the board listens from now on
    try:
        world["KOR"].feed.publish(stream, [warning(10.0, "a"), warning(20.0, "b")])
        world.later(seconds=1)
        world["KOR"].feed.publish(stream, [warning(11.0, "a")])
        report = run_client(served, served.token, title="Missile warnings")
    finally:
        served.server.stop()
    assert report["invalid"] == [] and "gsomia-missile-warning" in report["types"]
    warnings = [i for i in report["ids"] if str(i).startswith("gsomia-missile-warning--")]
    assert len(warnings) == 2  # two tracks, the latest version of each
    # Reading a partner's stream is an open of its announcement, recorded once per request.
    assert ledger_events(world["JPN"]).count("item.opened") == 2


def post(client: httpx.Client, url: str, token: str, body: Any) -> httpx.Response:
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": TAXII_MEDIA_TYPE,
        "Content-Type": TAXII_MEDIA_TYPE,
    }
    return client.post(url, content=json.dumps(body), headers=headers)


def test_a_posted_envelope_is_provided_as_items_or_refused_whole(tmp_path: Path) -> None:
    world = build(tmp_path, parties=("JPN", "KOR"))
    jpn = world["JPN"]
    served = serve(jpn, officer("JPN"))
    before = jpn.ctx.store.ledger.size()  # after the token's issue (recorded)
    label_like = Marking(
        agreement_id="jpn-kor-gsomia", agreement_version="2016", originator="JPN",
        level="JPN:GOKUHI", holder="JPN", holder_level="JPN:GOKUHI",
        releasable_to=("JPN", "KOR"), topic="nk-missile",
    )  # fmt: skip
    report = {
        "type": "report", "spec_version": "2.1", "id": stix_id("report", "r"),
        "created": "2019-10-02T09:00:00.000Z", "modified": "2019-10-02T09:00:00.000Z",
        "name": "Launch assessment", "published": "2019-10-02T09:00:00Z",
        "object_refs": [stix_id("location", "l")], "object_marking_refs": [label_like.id],
    }  # fmt: skip
    location = {
        "type": "location", "spec_version": "2.1", "id": stix_id("location", "l"),
        "created": "2019-10-02T09:00:00.000Z", "modified": "2019-10-02T09:00:00.000Z",
        "latitude": 39.0, "longitude": 125.7, "object_marking_refs": [label_like.id],
    }  # fmt: skip
    envelope = {"objects": [label_like.to_stix(), report, location]}
    try:
        with httpx.Client(base_url=served.url) as client:
            collections = client.get(
                "/taxii2/jpn/collections/",
                headers={"Authorization": f"Bearer {served.token}"},
            ).json()["collections"]
            cid = next(c["id"] for c in collections if c["title"] == "Japan–ROK GSOMIA")
            url = f"/taxii2/jpn/collections/{cid}/objects/"
            broken = json.loads(json.dumps(envelope))
            broken["objects"][1]["object_refs"] = [stix_id("location", "elsewhere")]
            refused = post(client, url, served.token, broken)
            assert refused.status_code == 400 and "does not hold" in refused.json()["description"]
            assert jpn.ctx.store.ledger.size() == before  # nothing provided, nothing stored
            done = post(client, url, served.token, envelope)
            assert done.status_code == 202, done.text
            status = done.json()
            assert status["status"] == "complete" and status["success_count"] == 2
            again = client.get(
                f"/taxii2/jpn/status/{status['id']}/",
                headers={"Authorization": f"Bearer {served.token}", "Accept": TAXII_MEDIA_TYPE},
            )
            assert again.json()["successes"] == status["successes"]
    finally:
        served.server.stop()
    world.drain()
    kor = world["KOR"]
    with kor.ctx.store.read() as uow:
        held = uow.items(limit=10)
    assert len(held) == 2 and {r.holder_level_ref for r in held} == {"KOR:GUNSA_II"}
    content = kor.custody.open(item_id=held[0].id, person_id=official("KOR"))
    assert json.loads(content)["id"] in (report["id"], location["id"])

"""TAXII 2.1 and STIX 2.1 against clients nobody on this project wrote, over real sockets.

A Japanese node provides 2,600 items to a Korean node; the Korean node's user API runs on
127.0.0.1 and OASIS ``taxii2-client`` (in its own venv) walks discovery, the API root, the
collections and every page of objects and of the manifest, then asks again with
``added_after`` once more items arrived; OASIS ``stix2-validator`` checks every object it
got in strict mode. Visibility and opens are checked on the node's side: a person without
need to know sees an empty collection, and every object read is an open in the ledger.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from gsomia.interop.taxii import TAXII_MEDIA_TYPE
from tests.support.interop import Served, serve, tool
from tests.support.workflows import build, ledger_events, official

pytestmark = pytest.mark.slow
CLIENT = Path(__file__).with_name("taxii_client.py")
ITEMS, MORE = 2_500, 40
TITLE = "Japan–ROK GSOMIA"


def run_client(served: Served, token: str, *extra: str, title: str = TITLE) -> dict[str, object]:
    python = tool(".venv-taxii/bin/python", "OASIS taxii2-client and stix2-validator")
    done = subprocess.run(
        [str(python), str(CLIENT), served.url, token, title, "500", *extra],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    sys.stderr.write(done.stderr[-2000:])
    assert done.returncode in (0, 1), done.stderr
    report: dict[str, object] = json.loads(done.stdout)
    print(json.dumps({k: v for k, v in report.items() if k != "ids"}, ensure_ascii=False))
    return report


def test_taxii2_client_pages_validates_and_follows_added_after(tmp_path: Path) -> None:
    world = build(tmp_path, parties=("JPN", "KOR"))
    world.provide(contents=tuple(f"track report {i}".encode() for i in range(ITEMS)))
    world.drain()
    served = serve(world["KOR"], official("KOR"))
    try:
        first = run_client(served, served.token)
        assert first["invalid"] == [], first["invalid"]
        ids = [i for i in first["ids"] if str(i).startswith("artifact--")]
        assert len(ids) == len(set(ids)) == ITEMS  # every item once, no gap, no repeat
        assert first["pages"] >= 6 and first["manifest"] == first["objects"]
        assert {"artifact", "marking-definition", "extension-definition"} <= set(first["types"])
        # Each object read was an open, decided and recorded; the manifest opened nothing.
        assert ledger_events(world["KOR"]).count("item.opened") == ITEMS

        world.later(seconds=5)
        world.provide(contents=tuple(f"late report {i}".encode() for i in range(MORE)))
        world.drain()
        later = run_client(served, served.token, str(first["last_added"]))
        new = [i for i in later["ids"] if str(i).startswith("artifact--")]
        assert len(new) == MORE and not set(new) & set(ids)
        assert later["invalid"] == []
    finally:
        served.server.stop()


def test_a_person_without_need_to_know_sees_nothing_and_opens_nothing(tmp_path: Path) -> None:
    world = build(tmp_path, parties=("JPN", "KOR"))
    world.provide(contents=(b"one", b"two"))
    world.drain()
    node = world["KOR"]
    for person in ("kor-noneed", "kor-low"):
        served = serve(node, person)
        try:
            report = run_client(served, served.token)
            assert report["objects"] == 0 and report["invalid"] == []
        finally:
            served.server.stop()
    assert "item.opened" not in ledger_events(node)


def test_taxii_media_types_errors_and_auth(tmp_path: Path) -> None:
    world = build(tmp_path, parties=("JPN", "KOR"))
    world.provide()
    world.drain()
    served = serve(world["KOR"], official("KOR"))
    base = f"{served.url}/taxii2/kor/collections/"
    auth = {"Authorization": f"Bearer {served.token}", "Accept": TAXII_MEDIA_TYPE}
    try:
        with httpx.Client() as client:
            ok = client.get(base, headers=auth)
            assert ok.status_code == 200 and ok.headers["content-type"] == TAXII_MEDIA_TYPE
            none = client.get(base, headers={"Accept": TAXII_MEDIA_TYPE})
            assert none.status_code == 401 and none.json()["http_status"] == "401"
            wrong = client.get(base, headers={**auth, "Accept": "text/html"})
            assert wrong.status_code == 406
            bad = client.get(base + "nope/objects/", headers=auth)
            assert bad.status_code == 404 and bad.headers["content-type"] == TAXII_MEDIA_TYPE
            cid = ok.json()["collections"][0]["id"]
            bad_limit = client.get(f"{base}{cid}/objects/?limit=x", headers=auth)
            assert bad_limit.status_code == 400 and "limit" in bad_limit.json()["description"]
    finally:
        served.server.stop()

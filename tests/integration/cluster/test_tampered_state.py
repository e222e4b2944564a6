"""Security review H3 on a three-node cluster: a database writer edits a running node's
store (the review's sqlite3 statements: a minted token row, a raised clearance, an added
registration, a lowered item row). Each act that reads the row is refused with the opaque
integrity answer and no content, the node raises an alarm its officers see, and
``gsomia audit verify`` names the row. Put back as it was, the row is trusted again.

Before, every one of these returned the plaintext, and ``audit verify`` said "all checks
passed"."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from gsomia.services.plumbing.auth import _token_id
from tests.support.cluster import Api

pytestmark = pytest.mark.cluster

CONTENT = b"H3 launch point 39.0N 125.7E"


@contextmanager
def database(api: Api) -> Iterator[sqlite3.Connection]:
    """The node's own SQLite file, opened as a writer outside the node would."""
    conn = sqlite3.connect(api.node.home / "node.db", timeout=30)
    try:
        yield conn
        conn.commit()
    finally:
        conn.close()


def opened(api: Api, token: str, item: str) -> httpx.Response:
    return httpx.post(
        f"{api.node.api_url}/v1/items/{item}/open",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def person(api: Api, person_id: str, **fields: Any) -> str:
    """A person registered through the API, and their token."""
    body = {"id": person_id, "name": person_id.title(), "role": "official", **fields}
    assert api.post("/v1/persons", body).status_code == 201
    issued = api.post("/v1/tokens", {"person": person_id, "hours": 1})
    assert issued.status_code == 201, issued.text
    return str(issued.json()["token"])


def alarms_about(api: Api, table: str) -> list[dict[str, Any]]:
    found = api.get("/v1/audit/alarms").json()
    return [
        a for a in found if a["finding"] == "state-tampered" and a["evidence"]["table"] == table
    ]


def audit_verify(api: Api) -> subprocess.CompletedProcess[str]:
    home = api.node.home
    return subprocess.run(
        [sys.executable, "-m", "gsomia", "audit", "verify", "--home", str(home), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={
            **os.environ,
            "GSOMIA_MASTER_SECRET_FILE": str(home.parent / "secrets" / api.node.party),
        },
    )


@pytest.fixture(scope="module")
def item(cluster: dict[str, Api]) -> str:
    """An item JPN provided to KOR, delivered."""
    jpn, kor = cluster["JPN"], cluster["KOR"]
    made = jpn.provide(CONTENT, to="KOR", level="極秘", agreement="jpn-kor-gsomia")
    assert made.status_code == 201, made.text
    item_id = str(made.json()["items"][0])
    end = time.monotonic() + 60
    while time.monotonic() < end and not any(i["id"] == item_id for i in kor.items()):
        time.sleep(0.2)
    return item_id


def refused_without_content(answer: httpx.Response) -> None:
    """Refused as not verifying (403), or, where the tampered row is the person's own, as
    not authenticated (401); opaque either way, and no content."""
    assert answer.status_code in (401, 403), answer.text
    assert answer.json()["error"] in ("IntegrityError", "Unauthenticated")
    assert "content" not in answer.json()


def test_h3_a_minted_token_row_authenticates_nobody(cluster: dict[str, Api], item: str) -> None:
    kor = cluster["KOR"]
    token = "gst_" + "h3minted" * 5 + "abc"
    row = (
        "token",
        _token_id(token),
        1,
        "active",
        None,
        json.dumps({"expires_at": "2099-01-01T00:00:00+00:00", "person": "kor-officer"}),
        b"",
        "2026-12-07 03:10:00",
    )
    with database(kor) as db:
        db.execute(
            "INSERT INTO records (kind, id, version, state, item_id, body, document, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )
    try:
        refused_without_content(opened(kor, token, item))
        assert alarms_about(kor, "records")
    finally:
        with database(kor) as db:
            db.execute("DELETE FROM records WHERE kind = 'token' AND id = ?", (row[1],))


def test_h3_a_raised_clearance_or_an_added_registration_opens_nothing(
    cluster: dict[str, Api], item: str
) -> None:
    kor = cluster["KOR"]
    token = person(kor, "kor-h3-low", clearance="군사III급비밀", need_to_know=["nk-missile"])
    assert opened(kor, token, item).status_code == 403  # by the rules: not cleared
    with database(kor) as db:
        db.execute("UPDATE persons SET clearance_ref = 'KOR:GUNSA_II' WHERE id = 'kor-h3-low'")
        db.execute(
            "INSERT INTO registrations (facility_id, person_id) VALUES ('kor-hq', 'kor-h3-low')"
        )
    refused_without_content(opened(kor, token, item))
    assert alarms_about(kor, "persons") or alarms_about(kor, "registrations")
    assert kor.post("/v1/audit/checkpoint").status_code == 200
    verified = audit_verify(kor)
    assert verified.returncode == 11, verified.stderr
    findings = {(f["table"], f["row"]) for f in json.loads(verified.stdout)["store"]["findings"]}
    assert {("persons", "kor-h3-low"), ("registrations", "kor-h3-low/kor-hq")} <= findings
    with database(kor) as db:  # put back as it was: trusted again
        db.execute("UPDATE persons SET clearance_ref = 'KOR:GUNSA_III' WHERE id = 'kor-h3-low'")
        db.execute("DELETE FROM registrations WHERE person_id = 'kor-h3-low'")
    assert opened(kor, token, item).status_code == 403
    assert opened(kor, token, item).json()["error"] == "PolicyDenied"


def test_h3_a_lowered_item_row_is_refused_to_everyone(cluster: dict[str, Api], item: str) -> None:
    kor = cluster["KOR"]
    with database(kor) as db:
        (level,) = db.execute("SELECT holder_level_ref FROM items WHERE id = ?", (item,)).fetchone()
        db.execute("UPDATE items SET holder_level_ref = 'KOR:GUNSA_III' WHERE id = ?", (item,))
    try:
        refused_without_content(opened(kor, kor.node.token, item))
        assert any(a["evidence"]["row"] == item for a in alarms_about(kor, "items"))
    finally:
        with database(kor) as db:
            db.execute("UPDATE items SET holder_level_ref = ? WHERE id = ?", (level, item))
    answer = opened(kor, kor.node.token, item)
    assert answer.status_code == 200, answer.text

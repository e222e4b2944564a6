"""Several workers per node (issue 14): on PostgreSQL, one worker at a time runs delivery;
killed, another takes over within seconds, and nothing is lost or duplicated. On SQLite,
more than one worker is refused."""

from __future__ import annotations

import base64
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from gsomia.bootstrap import init_home, open_node
from gsomia.cluster import PARTIES, ClusterNode, node_urls, prepare, start_node, stop_node
from gsomia.core.people import NODE_ACTOR
from gsomia.crypto import MasterSecret
from gsomia.services.plumbing.auth import AuthService
from tests.support.cluster import Api

pytestmark = [pytest.mark.cluster]

ITEMS = 120


@pytest.fixture
def database(postgres_url: str) -> Iterator[str]:
    """A database of this test's own on the PostgreSQL server, dropped afterwards."""
    name = f"gsomia_workers_{secrets.token_hex(4)}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _leader(url: str) -> tuple[int, str] | None:
    """The worker holding JPN's pump lock: its process id and session name."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT a.application_name FROM pg_locks l "
                    "JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.granted "
                    "AND a.application_name LIKE 'gsomia-jpn-pump-%'"
                )
            ).first()
    finally:
        engine.dispose()
    if row is None:
        return None
    return int(row[0].rsplit("-", 1)[1]), str(row[0])


def _wait_leader(url: str, *, other_than: int = 0, timeout: float = 30.0) -> tuple[int, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _leader(url)
        if found is not None and found[0] != other_than:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no worker took the lead within {timeout:g} s")


def _officer(root: Path, party: str) -> ClusterNode:
    home = root / party.lower()
    master = MasterSecret.from_text((root / "secrets" / party).read_text())
    node = open_node(home, master=master)
    try:
        token = AuthService(node.ctx).issue(person_id=f"{party.lower()}-officer", by=NODE_ACTOR)
    finally:
        node.ctx.store.close()
    api, peer = node_urls(root)[party]
    return ClusterNode(
        party=party, home=home, api_url=api, peer_url=peer, officer="", token=token.token
    )


def _provide_with_retries(api: Api, n: int) -> str:
    """Provide one item, retrying through a worker's death under one idempotency key."""
    key = secrets.token_hex(16)
    body = {
        "to": "KOR",
        "level": "秘",
        "topic": "nk-missile",
        "purpose": "missile warning",
        "agreement": "jpn-kor-gsomia",
        "contents": [base64.b64encode(f"track {n}".encode()).decode()],
    }
    for _ in range(20):
        try:
            r = httpx.post(
                api.node.api_url + "/v1/items",
                json=body,
                headers={**api.headers(), "Idempotency-Key": key},
                timeout=30,
            )
        except httpx.TransportError:
            time.sleep(0.2)
            continue
        assert r.status_code == 201, r.text
        return str(r.json()["items"][0])
    raise AssertionError("the item could not be provided")


def test_killing_the_leading_worker_hands_delivery_over_and_loses_nothing(
    tmp_path: Path, database: str
) -> None:
    root = tmp_path / "cluster"
    prepare(root, store=database)
    try:
        for party in ("KOR", "USA"):
            start_node(root, party, wait=90)
        start_node(root, "JPN", workers=2, wait=90)
        apis = {p: Api(_officer(root, p)) for p in ("JPN", "KOR")}
        jpn_url = _jpn_store(root)
        first, _ = _wait_leader(jpn_url)

        sent: list[str] = []
        took_over: list[tuple[int, float]] = []

        def kill_leader_midway() -> None:
            while len(sent) < ITEMS // 3:
                time.sleep(0.05)
            os.kill(first, signal.SIGKILL)
            killed = time.monotonic()
            second, _ = _wait_leader(jpn_url, other_than=first)
            took_over.append((second, time.monotonic() - killed))

        killer = threading.Thread(target=kill_leader_midway)
        killer.start()
        for n in range(ITEMS):
            sent.append(_provide_with_retries(apis["JPN"], n))
        killer.join()

        second, after = took_over[0]
        assert second != first
        assert after < 10, f"the lead was taken over after {after:.1f} s"
        print(f"lead taken over {after:.2f} s after the leading worker was killed")

        deadline = time.monotonic() + 120
        while apis["JPN"].get("/v1/outbox/partners").json():
            assert time.monotonic() < deadline, apis["JPN"].get("/v1/outbox/partners").json()
            time.sleep(0.5)
        held = [i["id"] for i in apis["KOR"].items()]
        assert len(held) == len(set(held)) == len(set(sent)) == ITEMS
        assert set(held) == set(sent)
        entries = apis["KOR"].get("/v1/audit/entries", limit=1000).json()
        received = Counter(e["item"] for e in entries if e["event"] == "item.received")
        assert set(received) == set(sent) and set(received.values()) == {1}
        counts = apis["JPN"].get("/v1/outbox").json()
        assert counts.get("dead", 0) == 0 and counts.get("pending", 0) == 0
    finally:
        for party in PARTIES:
            stop_node(root, party)


def _jpn_store(root: Path) -> str:
    from gsomia.config import load_settings

    return load_settings(root / "jpn").database_url()


def test_several_workers_on_sqlite_are_refused_with_a_clear_message(tmp_path: Path) -> None:
    home = tmp_path / "jpn"
    text_secret = MasterSecret.generate()
    init_home(home, party="JPN", now=datetime.now(UTC), master=MasterSecret.from_text(text_secret))
    env = {**os.environ, "GSOMIA_MASTER_SECRET": text_secret}
    env.pop("GSOMIA_MASTER_SECRET_FILE", None)
    run = subprocess.run(
        [sys.executable, "-m", "gsomia", "node", "run", "--home", str(home), "--workers", "2"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert run.returncode != 0
    said = " ".join((run.stdout + run.stderr).split())
    assert "SQLite" in said and "--workers 1" in said and "PostgreSQL" in said, said
    assert not (home / "metrics").exists()

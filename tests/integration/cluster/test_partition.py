"""Partition: KOR is down for 30 s in the middle of a 10,000-item stream from JPN."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gsomia.cluster import down, start_node, stop_node, up
from tests.support.cluster import Api

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

ITEMS = 10_000
BATCH = 500
OUTAGE_S = 30.0


@pytest.fixture(scope="module")
def own_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Api]]]:
    root = tmp_path_factory.mktemp("partition")
    nodes = up(root)
    try:
        yield root, {n.party: Api(n) for n in nodes}
    finally:
        down(root)


def test_every_item_arrives_exactly_once_and_both_ledgers_verify(
    own_cluster: tuple[Path, dict[str, Api]],
) -> None:
    root, api = own_cluster
    jpn, kor = api["JPN"], api["KOR"]
    sent: list[str] = []
    outage_started = None
    for n in range(ITEMS // BATCH):
        if n == ITEMS // BATCH // 2:
            stop_node(root, "KOR")
            outage_started = time.monotonic()
        contents = [f"track report {n}:{i}".encode() for i in range(BATCH)]
        r = jpn.provide(*contents, to="KOR", level="秘", agreement="jpn-kor-gsomia")
        assert r.status_code == 201, r.text
        sent.extend(r.json()["items"])
    assert outage_started is not None
    time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - outage_started)))
    start_node(root, "KOR", wait=60)
    deadline = time.monotonic() + 300
    while jpn.get("/v1/outbox").json().get("pending", 0):
        assert time.monotonic() < deadline, "JPN's outbox did not drain"
        time.sleep(1)
    held = [i["id"] for i in kor.items()]
    assert len(held) == len(set(held)) == ITEMS
    assert set(held) == set(sent)
    for side in (jpn, kor):
        assert side.post("/v1/audit/checkpoint").status_code == 200
    for party in ("jpn", "kor"):
        audit = subprocess.run(
            [
                sys.executable,
                "-m",
                "gsomia",
                "audit",
                "verify",
                "--home",
                str(root / party),
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert audit.returncode == 0, audit.stdout + audit.stderr

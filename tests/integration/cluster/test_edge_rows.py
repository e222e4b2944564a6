"""The edge rows of the security review on the three-node cluster (M1, M5, L3-L9):
real node processes started by ``gsomia up``'s code, real sockets."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.cluster import Api

pytestmark = pytest.mark.cluster

MIB = 1024 * 1024
PROVISION = ["--to", "USA", "--level", "極秘", "--topic", "nk-missile", "--purpose", "warning"]
PROVISION += ["--as", "jpn-officer", "--agreement", "jpn-usa-gsomia"]


def _status_of_chunked(url: str, path: str, mib: int, media_type: str) -> int:
    """POST ``mib`` MiB with ``Transfer-Encoding: chunked`` and no token; the status."""
    host, port = url.removeprefix("http://").split(":")
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n"
        f"Content-Type: {media_type}\r\n\r\n"
    ).encode()
    piece = b"%x\r\n" % MIB + b"A" * MIB + b"\r\n"
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head)
        try:
            for _ in range(mib):
                sock.sendall(piece)
            sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass
        return int(sock.recv(4096).split(b" ", 2)[1])


def test_m1_chunked_bodies_are_cut_off_and_items_over_the_limit_refused(
    cluster: dict[str, Api],
) -> None:
    jpn = cluster["JPN"]
    url = jpn.node.api_url
    assert _status_of_chunked(url, "/v1/items", 64, "application/json") == 413
    assert _status_of_chunked(url, "/console/login", 64, "application/x-www-form-urlencoded") == 413
    before = len(jpn.items())
    big = jpn.provide(b"\x00" * (5 * MIB), to="KOR", level="極秘", agreement="jpn-kor-gsomia")
    assert big.status_code == 400 and "limits.max_item_bytes" in big.json()["message"]
    assert len(jpn.items()) == before


def test_m1_l8_a_transfer_the_partner_refuses_is_dead_lettered_at_once(
    cluster: dict[str, Api], cluster_root: Path
) -> None:
    # Three items of 3.5 MiB each are one transfer of about 10.5 MiB: more than USA's peer
    # endpoint takes (8 MiB). The operator's CLI writes them into JPN's store; JPN's
    # running node sends the transfer, USA answers 413, and JPN keeps it as a dead letter
    # after one attempt instead of retrying it a thousand times.
    files = []
    for n in range(3):
        path = cluster_root / f"large-{n}.bin"
        path.write_bytes(bytes([n]) * (7 * MIB // 2))
        files.append(str(path))
    env = {**os.environ, "GSOMIA_MASTER_SECRET_FILE": str(cluster_root / "secrets" / "JPN")}
    env.pop("GSOMIA_MASTER_SECRET", None)
    base = [sys.executable, "-m", "gsomia"]
    home = ["--home", str(cluster_root / "jpn")]
    provided = subprocess.run(
        [*base, "provide", *files, *PROVISION, *home, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert provided.returncode == 0, provided.stderr
    items = json.loads(provided.stdout)["items"]
    jpn = cluster["JPN"]
    deadline = time.monotonic() + 60
    while not jpn.get("/v1/outbox").json().get("dead"):
        assert time.monotonic() < deadline, jpn.get("/v1/outbox").json()
        time.sleep(0.3)
    outbox = subprocess.run(
        [*base, "outbox", *home, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    (letter,) = [d for d in json.loads(outbox.stdout)["dead_letters"] if d["to"] == "USA"]
    assert letter["kind"] == "transfer" and letter["attempts"] == 1
    assert "413" in letter["last_error"]
    held = {i["id"] for i in cluster["USA"].items()}
    assert not held & set(items)


def test_m5_node_homes_and_their_files_are_the_owners_only(cluster_root: Path) -> None:
    for party in ("jpn", "kor", "usa"):
        home = cluster_root / party
        assert stat.S_IMODE(home.stat().st_mode) == 0o700, home
        names = ["node.toml", "keyring.gsk", "trusted-keys", "node.db", "node.log"]
        names += [n for n in ("node.db-wal", "node.db-shm") if (home / n).exists()]
        for name in names:
            mode = stat.S_IMODE((home / name).stat().st_mode)
            assert mode == 0o600, (home / name, oct(mode))


def test_l3_l4_console_headers_everywhere_and_no_docs_pages(cluster: dict[str, Api]) -> None:
    url = cluster["KOR"].node.api_url
    for method, path, status in (
        ("GET", "/console/nope", 404),
        ("DELETE", "/console/items", 405),
        ("GET", "/console/login/", 404),
    ):
        answer = httpx.request(method, url + path, headers={"Host": "evil.example"})
        assert answer.status_code == status
        assert answer.headers["content-security-policy"].startswith("default-src 'self'")
        assert "location" not in answer.headers
    assert httpx.get(url + "/docs").status_code == 404
    assert httpx.get(url + "/redoc").status_code == 404
    assert httpx.get(url + "/openapi.json").status_code == 401


def test_l5_odd_values_get_a_4xx(cluster: dict[str, Api]) -> None:
    kor = cluster["KOR"]
    assert kor.get("/v1/agreements/jpn-kor-gsomia/status", on="9999-12-31").status_code == 400
    raw = b'{"to":"JPN","level":"x","topic":"nk-missile","purpose":"\\ud800","contents":["QQ=="]}'
    answer = httpx.post(
        kor.node.api_url + "/v1/items",
        content=raw,
        headers={**kor.headers(), "Content-Type": "application/json"},
    )
    assert answer.status_code == 422


def test_l6_refused_tokens_are_throttled_per_address(cluster: dict[str, Api]) -> None:
    usa = cluster["USA"]
    answers = [
        httpx.get(
            usa.node.api_url + "/v1/me", headers={"Authorization": f"Bearer gst_guess{n}"}
        ).status_code
        for n in range(60)
    ]
    assert answers[0] == 401 and set(answers) == {401, 429}
    assert answers.count(429) >= 20
    # Give the address's budget time to refill a little for the tests that follow.
    time.sleep(6)
    assert usa.get("/v1/me").status_code == 200


def test_l9_the_ledger_verification_is_reused(cluster: dict[str, Api]) -> None:
    jpn = cluster["JPN"]
    assert jpn.post("/v1/audit/checkpoint").status_code == 200
    answers = [jpn.get("/v1/audit/verify") for _ in range(3)]
    assert [a.status_code for a in answers] == [200] * 3, answers[0].text
    assert len({a.json()["verified_at"] for a in answers}) == 1
